package auth

import "fixgate/internal/fault"

// PasswordChange is a request to set a user's password.
type PasswordChange struct {
	New     string // the new password
	Current string // the caller's current password: required when the caller changes its own
}

// MaySetPassword decides whether by may set the password of user target:
// an admin may set anyone's, anyone else only their own. Refused with rule
// self_service otherwise. It is decided before the target is read, so a
// refusal does not tell whether the target exists.
func MaySetPassword(by Principal, target string) error {
	if by.User == target || by.Has(Admin) {
		return nil
	}
	return fault.Refused("self_service", "%s may set only their own password; an admin sets other users' passwords", by.User)
}

// CheckPasswordChange decides a password change of target by by, given
// target's stored hash ("" when it has none): the new password must meet
// the policy (CheckPasswordPolicy), and a person changing their own
// password, when they have one, must give it as c.Current (an admin too:
// a stolen token or session alone does not take an account over). A wrong
// current password is refused with rule self_service on field
// current_password. It costs one password hash when it checks Current.
func CheckPasswordChange(by Principal, target, storedHash string, c PasswordChange) error {
	if err := MaySetPassword(by, target); err != nil {
		return err
	}
	if err := CheckPasswordPolicy(c.New); err != nil {
		return err
	}
	if by.User != target || storedHash == "" {
		return nil
	}
	if c.Current == "" {
		return fault.Field("current_password", "is required to change your own password")
	}
	if !CheckPassword(storedHash, c.Current) {
		e := fault.Refused("self_service", "the current password does not match")
		e.Field = "current_password"
		return e
	}
	return nil
}
