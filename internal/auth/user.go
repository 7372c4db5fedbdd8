package auth

import (
	"slices"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// User is a person or system account. Tokens are separate records.
type User struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Roles       []Role    `json:"roles"`
	Disabled    bool      `json:"disabled"`
	HasPassword bool      `json:"has_password"` // may sign in to the web UI with a password
	Revision    int64     `json:"revision"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Validate checks name and roles; roles are sorted and de-duplicated.
func (u *User) Validate() error {
	if err := ident.ValidName("name", u.Name); err != nil {
		return err
	}
	if len(u.Roles) == 0 {
		return fault.Field("roles", "at least one role is required")
	}
	for _, r := range u.Roles {
		if _, err := ParseRole("roles", string(r)); err != nil {
			return err
		}
	}
	slices.Sort(u.Roles)
	u.Roles = slices.Compact(u.Roles)
	if len(u.DisplayName) > 200 || strings.ContainsAny(u.DisplayName, "\n\r") {
		return fault.Field("display_name", "must be one line of at most 200 characters")
	}
	return nil
}

// Token describes an issued token; the secret itself is never stored.
type Token struct {
	ID        int64      `json:"id"`
	User      string     `json:"user"`
	Label     string     `json:"label"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}
