package models

// SetFewMembersBound changes the most members a menu role may have for its members to drive a
// page, so that a test of a few accounts reads a role both ways; it returns the undo.
func SetFewMembersBound(n int) (restore func()) {
	old := fewMembersBound
	fewMembersBound = n
	return func() { fewMembersBound = old }
}
