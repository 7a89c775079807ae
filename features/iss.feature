@iss @grant-authorization-code
Feature: Issuer identification in authorization responses (RFC 9207)
  A server that supports it adds iss, equal to its metadata issuer, to every authorization
  response, errors included, so that a client talking to several servers can tell them apart.

  @RFC9207-2.3 @MUST @metadata
  Scenario: The metadata says that authorization responses carry iss
    RFC 9207 2.3: "The server MUST indicate its support for the iss parameter by setting the metadata parameter authorization_response_iss_parameter_supported, defined in Section 3, to true."
    When the client fetches the authorization server metadata
    Then the response's "authorization_response_iss_parameter_supported" is true

  @RFC9207-2 @RFC9207-2.3 @MUST @browser
  Scenario: A successful authorization response carries iss equal to the issuer
    RFC 9207 2: "In authorization responses to the client, including error responses, an authorization server supporting this specification MUST indicate its identity by including the iss parameter in the response."
    RFC 9207 2.3: "The issuer identifier included in the server's metadata value issuer MUST be identical to the iss parameter's value."
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an authorization code
    And the authorization response's "iss" is "{issuer}"

  @RFC9207-2 @MUST @browser
  Scenario: A denied authorization response carries iss equal to the issuer
    RFC 9207 2: "In authorization responses to the client, including error responses, an authorization server supporting this specification MUST indicate its identity by including the iss parameter in the response."
    Given the confidential client starts an authorization request
    When the resource owner denies the authorization request
    Then the authorization response carries error "access_denied"
    And the authorization response's "iss" is "{issuer}"

  @RFC9207-2 @MUST
  Scenario: An authorization error response carries iss equal to the issuer
    RFC 9207 2: "In authorization responses to the client, including error responses, an authorization server supporting this specification MUST indicate its identity by including the iss parameter in the response."
    Given the confidential client starts an authorization request
    And the authorization request has response_type "urn:example:no-such-type"
    When the user agent sends the authorization request
    Then an authorization error response reached the client
    And the authorization response's "iss" is "{issuer}"

  @RFC9207-2 @MUST @browser @grant-implicit
  Scenario: An implicit authorization response carries iss in the fragment
    RFC 9207 2: "In authorization responses to the client, including error responses, an authorization server supporting this specification MUST indicate its identity by including the iss parameter in the response."
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the authorization response's "iss" is "{issuer}"
