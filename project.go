package tm

// Project is a Jira project as ticket-mate shows it.
type Project struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Name    string `json:"name"`
	TypeKey string `json:"type"`            // software, business, service_desk
	Style   string `json:"style,omitempty"` // classic (company-managed) or next-gen (team-managed); Cloud only
	Private bool   `json:"private,omitempty"`
}

// TeamManaged reports whether the project is team-managed ("next-gen"),
// where issue types are scoped to the project and their names may repeat.
func (p Project) TeamManaged() bool { return p.Style == "next-gen" }
