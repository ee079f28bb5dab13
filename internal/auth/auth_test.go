package auth

import (
	"context"
	"errors"
	"testing"
)

func TestRoles(t *testing.T) {
	tests := []struct {
		role Role
		can  []Permission
		not  []Permission
	}{
		{Analyst, []Permission{Open, Read, Decide}, []Permission{Approve, ManageBanks, ManageUsers, ReadAudit, Metrics}},
		{Senior, []Permission{Read, Decide, Approve}, []Permission{ManageBanks, ManageSources, ManageUsers, ReadAudit}},
		{Admin, []Permission{Read, ManageBanks, ManageSources, ManageUsers, ReadAudit, Metrics}, nil},
		{Auditor, []Permission{Read, ReadAudit}, []Permission{Decide, Approve, ManageBanks, ManageUsers, Ingest}},
		{Monitor, []Permission{Metrics}, []Permission{Read, Decide, Approve, ManageUsers, ReadAudit, Ingest}},
		{Role("root"), []Permission{Open}, []Permission{Read}},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			for _, p := range tt.can {
				if !tt.role.Can(p) {
					t.Errorf("%s cannot %q", tt.role, p)
				}
			}
			for _, p := range tt.not {
				if tt.role.Can(p) {
					t.Errorf("%s can %q", tt.role, p)
				}
			}
		})
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	if _, err := ParseRole("Admin"); !errors.Is(err, ErrBadRole) {
		t.Errorf("ParseRole(Admin) = %v, want ErrBadRole", err)
	}
}

func TestContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("principal in an empty context")
	}
	p := Principal{User: "amal", Role: Senior}
	got, ok := FromContext(NewContext(context.Background(), p))
	if !ok || got != p {
		t.Fatalf("FromContext = %+v, %v", got, ok)
	}
	if err := got.Require(ManageUsers); !errors.Is(err, ErrForbidden) {
		t.Errorf("Require(ManageUsers) = %v, want ErrForbidden", err)
	}
	if err := got.Require(Approve); err != nil {
		t.Errorf("Require(Approve) = %v", err)
	}
}
