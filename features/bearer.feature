@resource
Feature: Using a bearer token at the protected resource (RFC 6750)
  The target's protected resource accepts a valid bearer token in the Authorization header and
  answers a missing, invalid or insufficient token with a Bearer challenge (a MUST); the status
  code and the error code it adds are SHOULDs. Runs only when the target profile names a
  resource. The tokens come from the grant the profile's resource.token_grant names, else from
  whichever grant the target offers (client credentials first); @user-token marks the scenarios that
  may take theirs through the browser.

  @RFC6750-2.1 @MUST @user-token
  Scenario: The resource accepts a token in the Authorization header
    RFC 6750 2.1: "Resource servers MUST support this method."
    Given a client has an access token for the resource
    When the client calls the resource with the access token in the Authorization header
    Then the resource accepts the request

  @RFC6750-2.1 @RFC7235-2.1 @MUST @user-token
  Scenario: The Bearer scheme name is not case-sensitive
    RFC 6750 2.1: "Resource servers MUST support this method."
    RFC 7235 2.1: "It uses a case-insensitive token as a means to identify the authentication scheme"
    Given a client has an access token for the resource
    When the client calls the resource with the access token in the Authorization header with the scheme "bearer"
    Then the resource accepts the request

  @RFC6750-2.3 @MAY @user-token
  Scenario: A token in the URL query is accepted or refused, with a warning when accepted
    RFC 6750 2.3: "Resource servers MAY support this method."
    Given a client has an access token for the resource
    When the client calls the resource with the access token in the URL query
    Then the report warns when the resource accepted it

  @RFC6750-3 @MUST
  Scenario: A request without a token gets a Bearer challenge
    RFC 6750 3: "If the protected resource request does not include authentication credentials or does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP "WWW-Authenticate" response header field"
    RFC 6750 3: "All challenges defined by this specification MUST use the auth-scheme value "Bearer"."
    When the client calls the resource without a token
    Then the response has a "Bearer" challenge

  @RFC6750-3.1 @SHOULD
  Scenario: A request without a token gets a Bearer challenge without an error code
    RFC 6750 3.1: "If the request lacks any authentication information (e.g., the client was unaware that authentication is necessary or attempted using an unsupported authentication method), the resource server SHOULD NOT include an error code or other error information."
    When the client calls the resource without a token
    Then the Bearer challenge carries no error code

  @RFC6750-3 @MUST
  Scenario: An invalid token gets a Bearer challenge
    RFC 6750 3: "If the protected resource request does not include authentication credentials or does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP "WWW-Authenticate" response header field"
    When the client calls the resource with an unknown token in the Authorization header
    Then the response has a "Bearer" challenge

  @RFC6750-3 @MUST
  Scenario: The attribute values of the resource's Bearer challenges use only the characters RFC 6750 allows
    RFC 6750 3: "Values for the "scope" attribute [...] MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E for representing scope values and %x20 for delimiters between scope values."
    RFC 6750 3: "Values for the "error" and "error_description" attributes [...] MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E."
    RFC 6750 3: "Values for the "error_uri" attribute [...] MUST conform to the URI-reference syntax and thus MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E."
    Every Bearer challenge of the scenario is read: a quotation mark or backslash (legal in a quoted-string when escaped, but outside the set) and any non-ASCII character fail.
    When the client calls the resource without a token
    And the client calls the resource with an unknown token in the Authorization header
    Then every Bearer challenge the resource sent uses only the characters RFC 6750 allows

  @RFC6750-3 @RFC6750-3.1 @SHOULD
  Scenario: An invalid token gets 401 invalid_token
    RFC 6750 3: "If the protected resource request included an access token and failed authentication, the resource server SHOULD include the "error" attribute to provide the client with the reason why the access request was declined."
    RFC 6750 3.1: "The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
    A resource that accepts the token breaks the MUST of "An invalid token gets a Bearer challenge", and one that refuses it without a challenge leaves no error code to read: either is reported by that scenario, and blocks this one rather than failing it a second time.
    When the client calls the resource with an unknown token in the Authorization header
    Then the resource refused the request
    And the response status is 401
    And the Bearer challenge carries the error "invalid_token"

  @RFC6750-3 @MUST @revocation @user-token
  Scenario: A revoked token gets a Bearer challenge
    RFC 6750 3: "If the protected resource request does not include authentication credentials or does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP "WWW-Authenticate" response header field"
    RFC 7009 2.1: "In practice, there could be a propagation delay, for example, in which some servers know about the invalidation while others do not."
    Given a client has an access token for the resource
    And the token's client revokes the access token
    And the revocation was accepted
    When the client calls the resource with the access token in the Authorization header until the revocation has taken effect
    Then the response has a "Bearer" challenge

  @RFC6750-3 @RFC6750-3.1 @SHOULD @revocation @user-token
  Scenario: A revoked token gets 401 invalid_token
    RFC 6750 3: "If the protected resource request included an access token and failed authentication, the resource server SHOULD include the "error" attribute to provide the client with the reason why the access request was declined."
    RFC 6750 3.1: "The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
    Given a client has an access token for the resource
    And the token's client revokes the access token
    And the revocation was accepted
    When the client calls the resource with the access token in the Authorization header until the revocation has taken effect
    Then the resource refused the request
    And the response status is 401
    And the Bearer challenge carries the error "invalid_token"

  @RFC6750-3 @RFC6750-3.1 @SHOULD @short-lifetimes @introspection
  Scenario: An expired token gets 401 invalid_token with a Bearer challenge
    RFC 6750 3: "If the protected resource request included an access token and failed authentication, the resource server SHOULD include the "error" attribute to provide the client with the reason why the access request was declined."
    RFC 6750 3.1: "The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
    Given the short-lived client has an access token
    And the access token expires within the expiry wait
    When the client calls the resource with the access token in the Authorization header
    Then the response has a "Bearer" challenge
    And the response status is 401
    And the Bearer challenge carries the error "invalid_token"

  @RFC6750-3 @MUST @user-token
  Scenario: A token without the required scope gets a Bearer challenge
    RFC 6750 3: "If the protected resource request does not include authentication credentials or does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP "WWW-Authenticate" response header field"
    Given a client has an access token for the resource without the resource's scope
    When the client calls the resource with the access token in the Authorization header
    Then the response has a "Bearer" challenge

  @RFC6750-3.1 @SHOULD @user-token
  Scenario: A token without the required scope gets 403 insufficient_scope
    RFC 6750 3.1: "The resource server SHOULD respond with the HTTP 403 (Forbidden) status code and MAY include the "scope" attribute with the scope necessary to access the protected resource."
    Given a client has an access token for the resource without the resource's scope
    When the client calls the resource with the access token in the Authorization header
    Then the resource refused the request
    And the response status is 403
    And the Bearer challenge carries the error "insufficient_scope"

  @RFC6750-2.2 @RFC6750-3 @MUST @user-token
  Scenario: A token in a form-encoded POST body is accepted or refused with a Bearer challenge
    RFC 6750 2.2: "Resource servers MAY support this method."
    RFC 6750 3: "If the protected resource request does not include authentication credentials or does not contain an access token that enables access to the protected resource, the resource server MUST include the HTTP "WWW-Authenticate" response header field"
    Accepting the token is optional (MAY) and passes; a resource that does not take it has a request without credentials it understands, and a refusal without a Bearer challenge fails at MUST.
    Given a client has an access token for the resource
    When the client calls the resource with the access token in the form body
    Then the resource accepts the request or answers with a Bearer challenge
