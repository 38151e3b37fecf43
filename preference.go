package tm

import (
	"context"
	"time"
)

// FormChoices are the create form's choices a person made last on a site —
// project, issue type and priority — so their next ticket starts there, in
// any browser and after signing out.
type FormChoices struct {
	UserID    string    `json:"-"`
	CloudID   string    `json:"cloudId"`
	Project   string    `json:"project"`
	Type      string    `json:"type,omitempty"`
	Priority  string    `json:"priority,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// PreferenceStore keeps what each person chose last, per site.
type PreferenceStore interface {
	// SaveFormChoices replaces the user's choices on c.CloudID.
	SaveFormChoices(ctx context.Context, c FormChoices) error
	// FormChoices returns the user's choices on cloudID, or an ENOTFOUND
	// error when they have made none there.
	FormChoices(ctx context.Context, userID, cloudID string) (*FormChoices, error)
}
