@grant-password
Feature: Resource owner password credentials grant (RFC 6749 4.3)
  The client sends the resource owner's username and password. RFC 9700 2.4 says this grant MUST
  NOT be used: the suite reports a target offering it with a warning, and checks it is done right.

  @RFC6749-4.3.2 @RFC6749-4.3.3 @MUST
  Scenario: A confidential client gets a token with the resource owner's password
    When the password client requests a token with the resource owner's password
    Then the token endpoint issues an access token
    And the response's token_type is Bearer

  @RFC6749-4.3.2 @RFC6749-5.2 @MUST
  Scenario: A wrong resource owner password is refused with invalid_grant
    When the password client requests a token with the resource owner's password with a wrong password
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.3.2 @RFC6749-5.2 @MUST
  Scenario: An unknown resource owner is refused with invalid_grant
    When the password client requests a token with the resource owner's password with an unknown username
    Then the token endpoint refuses the request with error "invalid_grant"

  @RFC6749-4.3.2 @MUST
  Scenario Outline: A password request without <parameter> is refused with invalid_request
    When the password client requests a token with the resource owner's password without the <parameter>
    Then the token endpoint refuses the request with error "invalid_request"

    Examples:
      | parameter |
      | username  |
      | password  |

  @RFC6749-4.3.2 @RFC6749-3.2.1 @MUST
  Scenario: A confidential client that does not authenticate cannot use the password grant
    When the password client requests a token with the resource owner's password without client authentication
    Then the token endpoint refuses the request with error "invalid_client"

  @RFC6749-4.3.2 @RFC6749-3.3 @MUST
  Scenario: A password request for a scope the client may not have is refused with invalid_scope
    When the password client requests a token with the resource owner's password with scope "{not-allowed-scope}"
    Then the token endpoint refuses the request with error "invalid_scope"

  @RFC9700-2.4 @MUST @warning
  Scenario: The target offers the password grant, which RFC 9700 says must not be used
    When the password client requests a token with the resource owner's password
    Then the token endpoint issues an access token
    And the report warns that the target offers the resource owner password credentials grant, which RFC 9700 2.4 says MUST NOT be used
