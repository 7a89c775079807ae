@metadata
Feature: Authorization server metadata (RFC 8414)
  The server publishes what it supports at a well-known URL derived from its issuer, and what it
  publishes matches how it behaves.

  @RFC8414-3 @RFC8414-3.1 @RFC8414-3.2 @MUST
  Scenario: The metadata is served as JSON at the well-known URL of the issuer
    When the client fetches the authorization server metadata
    Then the response status is 200
    And the response is JSON

  @RFC8414-2 @RFC8414-3.3 @MUST
  Scenario: The metadata issuer is exactly the issuer the metadata URL was built from
    When the client fetches the authorization server metadata
    Then the response's "issuer" is "{issuer}"
    And the issuer has no query or fragment

  @RFC8414-2 @MUST
  Scenario Outline: The metadata names the required member <member>
    When the client fetches the authorization server metadata
    Then the response has "<member>"

    Examples:
      | member                   |
      | issuer                   |
      | authorization_endpoint   |
      | token_endpoint           |
      | response_types_supported |

  @RFC8414-2 @MUST
  Scenario Outline: The metadata advertises the <capability> the target supports
    When the client fetches the authorization server metadata
    Then the response's "<member>" lists "<value>"

    @grant-authorization-code
    Examples: authorization code
      | capability       | member                   | value              |
      | code flow        | response_types_supported | code               |
      | code grant       | grant_types_supported    | authorization_code |

    @grant-implicit
    Examples: implicit
      | capability       | member                   | value    |
      | implicit flow    | response_types_supported | token    |
      | implicit grant   | grant_types_supported    | implicit |

    @grant-client-credentials
    Examples: client credentials
      | capability       | member                | value              |
      | client credentials grant | grant_types_supported | client_credentials |

    @grant-password
    Examples: password
      | capability       | member                | value    |
      | password grant   | grant_types_supported | password |

    @grant-refresh-token
    Examples: refresh
      | capability       | member                | value         |
      | refresh grant    | grant_types_supported | refresh_token |

    @client-secret-basic
    Examples: basic
      | capability                 | member                                | value               |
      | HTTP Basic authentication  | token_endpoint_auth_methods_supported | client_secret_basic |

    @client-secret-post
    Examples: post
      | capability                 | member                                | value              |
      | body authentication        | token_endpoint_auth_methods_supported | client_secret_post |

  @RFC8414-2 @MUST
  Scenario Outline: The metadata's <member> is the endpoint the suite uses
    When the client fetches the authorization server metadata
    Then the response's "<member>" is "{<endpoint>}"

    Examples:
      | member                 | endpoint               |
      | authorization_endpoint | authorization-endpoint |
      | token_endpoint         | token-endpoint         |

    @introspection
    Examples: introspection
      | member                 | endpoint               |
      | introspection_endpoint | introspection-endpoint |

    @revocation
    Examples: revocation
      | member                 | endpoint               |
      | revocation_endpoint    | revocation-endpoint    |

  @RFC8414-2 @RFC9700-2.1.1 @RFC7636-4.2 @SHOULD @pkce
  Scenario: The metadata advertises S256 as a code challenge method
    When the client fetches the authorization server metadata
    Then the response's "code_challenge_methods_supported" lists "S256"
