package admin

import (
	"context"

	"github.com/oauthconf/oauthconf/refserver/store"
)

// clientCreated runs inside the transaction that created or updated c. It is where the
// management model's side effects of a client change belong (a client allowed the
// client_credentials grant acts as a service user of its own).
func (s *service) clientCreated(ctx context.Context, c *store.Client) error {
	return nil
}

// clientDeleted runs inside the transaction that deleted the client.
func (s *service) clientDeleted(ctx context.Context, id string) error {
	return nil
}
