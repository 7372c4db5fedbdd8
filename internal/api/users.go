package api

import (
	"net/http"
	"strconv"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
)

type userCreate struct {
	Name        string      `json:"name"`
	DisplayName string      `json:"display_name"`
	Email       string      `json:"email"`
	Roles       []auth.Role `json:"roles"`
}

type userWithToken struct {
	auth.User
	Token string `json:"token"`
}

type userPatch struct {
	DisplayName *string      `json:"display_name"`
	Email       *string      `json:"email"`
	Roles       *[]auth.Role `json:"roles"`
	Disabled    *bool        `json:"disabled"`
	Revision    int64        `json:"revision"`
}

type tokenCreate struct {
	Label string `json:"label"`
}

// tokenWithSecret is an issued token with its secret, shown this once.
type tokenWithSecret struct {
	auth.Token
	Secret string `json:"token"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	var in userCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	u := auth.User{Name: in.Name, DisplayName: in.DisplayName, Email: in.Email, Roles: in.Roles}
	if err := u.Validate(); err != nil {
		return err
	}
	u, token, err := s.store.CreateUser(r.Context(), c.actor, u)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, userWithToken{User: u, Token: token}, u.Revision)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := namePage(r)
	if err != nil {
		return err
	}
	us, err := s.store.ListUsers(r.Context(), after, limit)
	if err != nil {
		return err
	}
	out := List[auth.User]{Items: us}
	if out.Items == nil {
		out.Items = []auth.User{}
	}
	if len(us) > 0 {
		out.NextCursor = nextNameCursor(len(us), limit, us[len(us)-1].Name)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	if name != c.principal.User && !c.principal.Has(auth.Admin) && !c.principal.Has(auth.Auditor) {
		return fault.Refused("role", "only admins and auditors may read other users")
	}
	u, err := s.store.GetUser(r.Context(), name)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, u, u.Revision)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, c *call) error {
	var in userPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	rev, err := requireIfMatch(r, in.Revision)
	if err != nil {
		return err
	}
	u, err := s.store.UpdateUser(r.Context(), c.actor, r.PathValue("name"), rev, func(u *auth.User) error {
		if in.DisplayName != nil {
			u.DisplayName = *in.DisplayName
		}
		if in.Email != nil {
			u.Email = *in.Email
		}
		if in.Roles != nil {
			u.Roles = *in.Roles
		}
		if in.Disabled != nil {
			if *in.Disabled && u.Name == c.principal.User {
				return fault.Field("disabled", "you cannot disable yourself")
			}
			u.Disabled = *in.Disabled
		}
		return u.Validate()
	})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, u, u.Revision)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var in tokenCreate
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	tok, plain, err := s.store.CreateToken(r.Context(), c.actor, r.PathValue("name"), in.Label)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, tokenWithSecret{Token: tok, Secret: plain})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return fault.Field("id", "must be a token id")
	}
	if err := s.store.RevokeToken(r.Context(), c.actor, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": id, "revoked": true})
}

// passwordSetters may call the password endpoint: every role but the
// auditor, who writes nothing (an admin sets an auditor's password); the
// store decides whose password each may set.
var passwordSetters = []auth.Role{auth.Admin, auth.ProblemManager, auth.ReleaseManager, auth.Engineer, auth.CABMember, auth.Validator, auth.Pipeline}

// passwordIn sets a password; current_password is required when a person
// changes their own password and has one.
type passwordIn struct {
	Password        string `json:"password"`
	CurrentPassword string `json:"current_password,omitempty"`
}

// setPassword sets a user's password; the store decides who may
// (auth.CheckPasswordChange). If-Match is checked when sent.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, c *call) error {
	var in passwordIn
	if err := decode(r, &in); err != nil {
		return err
	}
	rev, err := ifMatch(r, 0)
	if err != nil {
		return err
	}
	u, err := s.store.ChangePassword(r.Context(), c.actor, c.principal, r.PathValue("name"),
		auth.PasswordChange{New: in.Password, Current: in.CurrentPassword}, rev)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, u, u.Revision)
}
