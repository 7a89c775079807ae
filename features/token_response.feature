Feature: Token endpoint responses (RFC 6749 5.1, 5.2)
  Successful and failed token responses have a fixed format that every client relies on.

  @RFC6749-5.1 @MUST
  Scenario: A token response is JSON with access_token and token_type
    RFC 6749 5.1: "The parameters are included in the entity-body of the HTTP response using the "application/json" media type as defined by [RFC4627]."
    RFC 6749 5.1: "access_token [...] REQUIRED.  The access token issued by the authorization server."
    When a client obtains an access token through any grant the target offers
    Then the token endpoint issues an access token
    And the response is JSON

  @RFC6749-5.1 @SHOULD
  Scenario: A token response states the token's lifetime in expires_in
    RFC 6749 5.1: "expires_in [...] RECOMMENDED.  The lifetime in seconds of the access token."
    When a client obtains an access token through any grant the target offers
    Then the token endpoint issues an access token
    And the response has "expires_in"
    And the response's "expires_in" is a positive number

  @RFC6749-5.1 @MUST
  Scenario Outline: Every token response forbids caching: <header> <directive>
    RFC 6749 5.1: "The authorization server MUST include the HTTP "Cache-Control" response header field [RFC2616] with a value of "no-store" in any response containing tokens, credentials, or other sensitive information, as well as the "Pragma" response header field [RFC2616] with a value of "no-cache"."
    When a client obtains an access token through any grant the target offers
    Then the token endpoint issues an access token
    And the response has header "<header>" with "<directive>"

    Examples:
      | header        | directive |
      | Cache-Control | no-store  |
      | Pragma        | no-cache  |

  @RFC6749-5.2 @MUST
  Scenario: A token error response carries an error code, as JSON with HTTP 400
    A refusal without an error code fails (REQUIRED); a status other than 400, or JSON under
    another media type, is a warning: those two sentences have no keyword.
    RFC 6749 5.2: "error [...] REQUIRED.  A single ASCII [USASCII] error code from the following:"
    RFC 6749 5.2: "The authorization server responds with an HTTP 400 (Bad Request) status code (unless specified otherwise) and includes the following parameters with the response:"
    RFC 6749 5.2: "The parameters are included in the entity-body of the HTTP response using the "application/json" media type as defined by [RFC4627]."
    When a confidential client sends a token request with grant_type "urn:example:no-such-grant"
    Then the token endpoint refuses the request
    And the response status is 400
    And the response is JSON, or the report warns

  @RFC6749-5.2 @MUST
  Scenario: An error description uses only the characters RFC 6749 allows
    RFC 6749 5.2: "Values for the "error_description" parameter MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E."
    RFC 6749 5.2: "Values for the "error_uri" parameter MUST conform to the URI-reference syntax and thus MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E."
    Given a confidential client's token request with grant_type "urn:example:no-such-grant" was answered with an error
    Then the error_description and error_uri use only the characters RFC 6749 allows

  @RFC6749-5.2 @MUST
  Scenario: An unknown grant type is refused with unsupported_grant_type
    RFC 6749 5.2: "error [...] REQUIRED.  A single ASCII [USASCII] error code from the following:"
    RFC 6749 5.2: "unsupported_grant_type [...] The authorization grant type is not supported by the authorization server."
    When a confidential client sends a token request with grant_type "urn:example:no-such-grant"
    Then the token endpoint refuses the request with error "unsupported_grant_type"

  @RFC6749-5.2 @SHOULD
  Scenario Outline: A grant the client is not registered for is refused with unauthorized_client (<client> client, <grant>)
    RFC 6749 5.2: "unauthorized_client [...] The authenticated client is not authorized to use this authorization grant type."
    Given the <client> client is not registered for the <registered> grant
    When the <client> client requests a token with <grant>
    Then the token endpoint refuses the request with error "unauthorized_client"

    @grant-client-credentials
    Examples: client credentials
      | client       | grant                  | registered         |
      | confidential | its client credentials | client_credentials |

    @grant-password
    Examples: password
      | client             | grant                         | registered |
      | client credentials | the resource owner's password | password   |

  @RFC6749-3.2 @MUST @warning @grant-client-credentials
  Scenario: A token request by GET is refused, or accepted with a warning
    RFC 6749 3.2: "The client MUST use the HTTP "POST" method when making access token requests."
    When the client credentials client requests a token with its client credentials using the GET method
    Then the report warns if the token endpoint issued an access token: the token endpoint accepted a token request by GET (RFC 6749 3.2 requires the client to use POST; credentials in a URL end up in logs)

  @RFC6749-3.2 @MUST @warning @grant-client-credentials
  Scenario: A repeated token request parameter is refused, or accepted with a warning
    RFC 6749 3.2: "Request and response parameters MUST NOT be included more than once."
    When the client credentials client requests a token with its client credentials with the grant_type repeated
    Then the report warns if the token endpoint issued an access token: the token endpoint accepted a request with grant_type repeated (RFC 6749 3.2 forbids the client to send it; 5.2 names invalid_request for refusing it)

  @RFC6749-A.12 @SHOULD
  Scenario: An access token uses only the characters RFC 6749 allows
    RFC 6749 A.12: "access-token = 1*VSCHAR"
    When a client obtains an access token through any grant the target offers
    Then the token endpoint issues an access token
    And the access token uses only the characters RFC 6749 allows

  @RFC6749-3.3 @RFC6749-5.1 @MUST
  Scenario: The granted scope is the requested one, or named in the response when it differs
    RFC 6749 3.3: "If the issued access token scope is different from the one requested by the client, the authorization server MUST include the "scope" response parameter to inform the client of the actual scope granted."
    When a client obtains an access token through any grant the target offers
    Then the token endpoint issues an access token
    And the granted scope is the requested one or named in the response

  @RFC6749-3.2 @MUST
  Scenario: An unknown parameter in a token request is ignored
    RFC 6749 3.2: "The authorization server MUST ignore unrecognized request parameters."
    When a client obtains an access token through any grant the target offers with an unknown parameter
    Then the token endpoint issues an access token
