package jira

import (
	"context"
	"errors"
	"net/http"

	"github.com/ticket-mate/tm"
)

// user is Jira's User as both REST versions send it.
type user struct {
	AccountID    string `json:"accountId"`
	Name         string `json:"name"` // Data Center username; "" on Cloud
	Key          string `json:"key"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
	TimeZone     string `json:"timeZone"`
}

func (u user) account() tm.Account {
	return tm.Account{AccountID: u.AccountID, Name: u.Name, DisplayName: u.DisplayName,
		Email: u.EmailAddress, Active: u.Active, TimeZone: u.TimeZone}
}

// Myself returns the account the credentials belong to. It is the
// credential check: unlike serverInfo or project search it never answers as
// anonymous, so bad credentials always fail here.
func (c *Client) Myself(ctx context.Context) (tm.Account, error) {
	var u user
	if err := c.do(ctx, call{method: http.MethodGet, path: "myself"}, &u); err != nil {
		return tm.Account{}, err
	}
	if u.AccountID == "" && u.Name == "" && u.Key == "" {
		// An empty or foreign 200 is not a sign-in: nobody was named.
		return tm.Account{}, &Error{Method: http.MethodGet, URL: c.Endpoint() + "/myself", StatusCode: http.StatusOK,
			Err: errors.New("the answer names no account: it is empty or not Jira's"), permanent: true}
	}
	return u.account(), nil
}
