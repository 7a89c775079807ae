Feature: Token endpoint responses (RFC 6749 5.1, 5.2)
  Successful and failed token responses have a fixed format that every client relies on.

  @RFC6749-5.1 @MUST @grant-client-credentials
  Scenario: A token response is JSON with access_token, token_type and expires_in
    When the client credentials client requests a token with its client credentials
    Then the token endpoint issues an access token
    And the response is JSON
    And the response has "expires_in"
    And the response's "expires_in" is a positive number

  @RFC6749-5.1 @MUST
  Scenario Outline: Every token response forbids caching: <header> <directive> after the <grant> grant
    When the <client> client requests a token with <grant>
    Then the token endpoint issues an access token
    And the response has header "<header>" with "<directive>"

    @grant-client-credentials
    Examples: client credentials
      | client             | grant                   | header        | directive |
      | client credentials | its client credentials  | Cache-Control | no-store  |
      | client credentials | its client credentials  | Pragma        | no-cache  |

    @grant-password
    Examples: password
      | client   | grant                        | header        | directive |
      | password | the resource owner's password | Cache-Control | no-store  |
      | password | the resource owner's password | Pragma        | no-cache  |

  @RFC6749-5.2 @MUST @grant-client-credentials
  Scenario: A token error response is JSON with HTTP 400 and forbids caching
    When the client credentials client requests a token with its client credentials with scope "{unknown-scope}"
    Then the token endpoint refuses the request with error "invalid_scope"
    And the response is JSON
    And the response has header "Cache-Control" with "no-store"

  @RFC6749-5.2 @MUST @grant-client-credentials
  Scenario: An error description uses only the characters RFC 6749 allows
    When the client credentials client requests a token with its client credentials with grant_type "urn:example:no-such-grant"
    Then the token endpoint refuses the request
    And the error_description and error_uri use only the characters RFC 6749 allows

  @RFC6749-5.2 @MUST @grant-client-credentials
  Scenario: An unknown grant type is refused with unsupported_grant_type
    When the client credentials client requests a token with its client credentials with grant_type "urn:example:no-such-grant"
    Then the token endpoint refuses the request with error "unsupported_grant_type"

  @RFC6749-5.2 @MUST
  Scenario Outline: A grant the client is not registered for is refused with unauthorized_client (<client> client, <grant>)
    When the <client> client requests a token with <grant>
    Then the token endpoint refuses the request with error "unauthorized_client"

    @grant-password @grant-client-credentials
    Examples:
      | client             | grant                         |
      | client credentials | the resource owner's password |
      | password           | its client credentials        |

  @RFC6749-3.2 @MUST @grant-client-credentials
  Scenario: The token endpoint refuses a GET request
    When the client credentials client requests a token with its client credentials using the GET method
    Then the token endpoint does not issue an access token

  @RFC6749-3.1 @RFC6749-3.2 @MUST @grant-client-credentials
  Scenario: A repeated token request parameter is refused with invalid_request
    When the client credentials client requests a token with its client credentials with the grant_type repeated
    Then the token endpoint refuses the request with error "invalid_request"

  @RFC6749-A.12 @MUST @grant-client-credentials
  Scenario: An access token uses only the characters RFC 6749 allows
    When the client credentials client requests a token with its client credentials
    Then the token endpoint issues an access token
    And the access token uses only the characters RFC 6749 allows
