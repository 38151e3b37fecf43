package server

import "github.com/ticket-mate/tm/internal/ticket"

// tickets is the ticket service as userID on c's site, its create
// metadata cached for that user alone (createmeta answers by the caller's
// permissions).
func (s *Server) tickets(userID string, c *conn) *ticket.Service {
	return ticket.New(c.jira, userMeta{m: s.meta, user: userID, cloud: c.site.CloudID})
}
