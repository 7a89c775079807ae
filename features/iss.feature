@iss @grant-authorization-code
Feature: Issuer identification in authorization responses (RFC 9207, RFC 9700 4.4)
  A server that supports it adds iss, equal to its metadata issuer, to every authorization
  response, errors included, so that a client talking to several servers can tell them apart.

  @RFC9207-3 @RFC8414-2 @MUST @metadata
  Scenario: The metadata says that authorization responses carry iss
    When the client fetches the authorization server metadata
    Then the response's "authorization_response_iss_parameter_supported" is true

  @RFC9207-2 @RFC9700-4.4 @MUST @browser
  Scenario: A successful authorization response carries iss equal to the issuer
    Given the confidential client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an authorization code
    And the authorization response's "iss" is "{issuer}"

  @RFC9207-2 @MUST @browser
  Scenario: A denied authorization response carries iss equal to the issuer
    Given the confidential client starts an authorization request
    When the resource owner denies the authorization request
    Then the authorization response carries error "access_denied"
    And the authorization response's "iss" is "{issuer}"

  @RFC9207-2 @MUST
  Scenario: An authorization error response carries iss equal to the issuer
    Given the confidential client starts an authorization request
    And the authorization request has scope "{unknown-scope}"
    When the user agent sends the authorization request
    Then the authorization response carries error "invalid_scope"
    And the authorization response's "iss" is "{issuer}"

  @RFC9207-2 @MUST @browser @grant-implicit
  Scenario: An implicit authorization response carries iss in the fragment
    Given the implicit client starts an authorization request
    When the resource owner approves the authorization request
    Then the client receives an access token in the fragment
    And the authorization response's "iss" is "{issuer}"
