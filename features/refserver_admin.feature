@refserver
Feature: The reference server's management model is administered in its console and API, enforced at its resources, and audited
  These scenarios drive the reference server's admin console and API and read the security
  audit log it writes, so they run only against the embedded reference server. They are product
  checks of the reference server (@product), not RFC requirements, and quote no RFC. Each makes its
  own clients and users; the seeded groups and ACLs (calc-acl allows the group
  calculator-users) are only read.

  @product @MUST @browser @grant-client-credentials
  Scenario: A client registered in the console gets a secret shown once, and the secret works in a grant
    Given the administrator signs in to the admin console
    When the administrator registers a confidential client for the "client_credentials" grant with scope "calc:write" in the console
    Then the console showed the new client's secret once
    When the registered client requests a token with its client credentials
    Then the token endpoint issues an access token
    And the audit log has an "admin_change" event "ok" for "POST /admin/clients"
    And the audit log has a "client_authentication" event "ok" for the registered client
    And the audit log has a "token_issued" event "ok" for the registered client

  @product @MUST @browser @grant-client-credentials @introspection
  Scenario: A token revoked in the console's tokens view is reported inactive by introspection
    Given the administrator registers a confidential client for the "client_credentials" grant with scope "calc:write" through the admin API
    And the registered client has an access token with its client credentials
    And the registered client introspects the access token
    And the token is reported active
    When the administrator revokes the registered client's access token in the console's tokens view
    And the registered client introspects the access token
    Then the token is reported inactive
    And the audit log has an "admin_change" event "ok" for "POST /admin/tokens/revoke"
    And the audit log has a "token_introspected" event "active" for the registered client
    And the audit log has a "token_introspected" event "inactive" for the registered client

  @product @MUST @grant-client-credentials @resource
  Scenario: A calc:read token reads the history but cannot calculate, which calc:write opens
    Given the "client credentials" client has an access token for scope "calc:read"
    When the client calls GET "/oauth2/calculate?op=add&a=2&b=3" at the reference server with the access token
    Then the response status is 403
    And the Bearer challenge carries the error "insufficient_scope"
    And the response's "scope" is "calc:write"
    When the client calls GET "/oauth2/history" at the reference server with the access token
    Then the response status is 200
    Given the "client credentials" client has an access token for scope "calc:write"
    When the client calls GET "/oauth2/calculate?op=add&a=2&b=3" at the reference server with the access token
    Then the response status is 200
    And the audit log has a "resource_access" event "denied" for the client-credentials client with reason "scope"
    And the audit log has a "resource_access" event "allowed" for the client-credentials client

  @product @MUST @grant-client-credentials @resource
  Scenario: The calculator's ACL allows a client-credentials client whose service user is in an allowed group, and refuses one that is not
    Given the "client credentials" client has an access token for scope "calc:write"
    When the client calls GET "/oauth2/calculate?op=multiply&a=6&b=7" at the reference server with the access token
    Then the response status is 200
    Given the administrator registers a confidential client for the "client_credentials" grant with scope "calc:write" through the admin API
    And the registered client has an access token with its client credentials
    When the client calls GET "/oauth2/calculate?op=multiply&a=6&b=7" at the reference server with the access token
    Then the response status is 403
    And the response's "error" is "access_denied"
    And the audit log has a "resource_access" event "allowed" for the client-credentials client
    And the audit log has a "resource_access" event "denied" for the registered client with reason "acl"

  @product @MUST @grant-password @resource
  Scenario: The calculator's ACL allows a password-grant user in an allowed group, and refuses one in no group
    Given the administrator creates a user "carol" in the group "calculator-users" through the admin API
    And the administrator creates a user "dave" in no group through the admin API
    When the "password" client requests a token with the password of user "carol" for scope "calc:write"
    And the client calls GET "/oauth2/calculate?op=subtract&a=9&b=4" at the reference server with the access token
    Then the response status is 200
    When the "password" client requests a token with the password of user "dave" for scope "calc:write"
    And the client calls GET "/oauth2/calculate?op=subtract&a=9&b=4" at the reference server with the access token
    Then the response status is 403
    And the response's "error" is "access_denied"
    And the audit log has a "login" event "ok" for the user "carol"
    And the audit log has a "resource_access" event "allowed" for the user "carol"
    And the audit log has a "resource_access" event "denied" for the user "dave" with reason "acl"
    And the audit log has an "admin_change" event "ok" for "POST /admin/api/users"

  @product @MUST @grant-client-credentials @resource
  Scenario: A client-credentials client never acts as the resource owner whose name equals its client id
    Given the administrator registers a confidential client for the "client_credentials" grant with scope "calc:write" through the admin API
    And the administrator creates a user named like the registered client's id in the group "calculator-users" through the admin API
    And the registered client has an access token with its client credentials
    When the client calls GET "/oauth2/calculate?op=add&a=1&b=1" at the reference server with the access token
    Then the response status is 403
    And the response's "error" is "access_denied"
    And the audit log has a "resource_access" event "denied" for the registered client with reason "acl"
    When the administrator creates a user named like the registered client's service user in the group "calculator-users" through the admin API
    Then the admin API refuses the request naming the field "username"
    And the audit log has an "admin_change" event "failed" for "POST /admin/api/users"
