@metadata
Feature: Authorization server metadata (RFC 8414)
  The server publishes what it supports in a metadata document, and what it publishes matches
  how it behaves. Every member check judges the document the run found: the RFC 8414 one, or the
  OpenID discovery document (or endpoints.metadata) when that is what the target publishes.
  Whether the RFC 8414 location itself is served is one scenario of its own.

  @RFC8414-3 @RFC9700-2.6 @SHOULD @warning
  Scenario: The metadata is published at the RFC 8414 well-known URL of the issuer, or elsewhere with a warning
    RFC 8414 3: "By default, the well-known URI string used is "/.well-known/oauth-authorization-server"."
    RFC 9700 2.6: "It is therefore RECOMMENDED that authorization servers publish OAuth Authorization Server Metadata according to [RFC8414] and that clients make use of this Authorization Server Metadata (when available) to configure themselves."
    When the client fetches the metadata at the RFC 8414 well-known URL
    Then the metadata is at the RFC 8414 well-known URL, or the report warns where it is

  @RFC8414-3.2 @MUST
  Scenario: The metadata is served as JSON with 200
    RFC 8414 3.2: "A successful response MUST use the 200 OK HTTP status code and return a JSON object using the "application/json" content type that contains a set of claims as its members that are a subset of the metadata values defined in Section 2."
    When the client fetches the authorization server metadata
    Then the response status is 200
    And the response is JSON

  @RFC8414-3.3 @RFC8414-2 @MUST
  Scenario: The metadata issuer is exactly the issuer the metadata URL was built from
    RFC 8414 3.3: "The "issuer" value returned MUST be identical to the authorization server's issuer identifier value into which the well-known URI string was inserted to create the URL used to retrieve the metadata."
    RFC 8414 2: "issuer [...] REQUIRED.  The authorization server's issuer identifier, which is a URL that uses the "https" scheme and has no query or fragment components."
    When the client fetches the authorization server metadata
    Then the response's "issuer" is "{issuer}"
    And the issuer has no query or fragment

  @RFC8414-2 @MUST
  Scenario Outline: The metadata names the required member <member>
    RFC 8414 2: "issuer [...] REQUIRED.  The authorization server's issuer identifier, which is a URL that uses the "https" scheme and has no query or fragment components."
    RFC 8414 2: "response_types_supported [...] REQUIRED.  JSON array containing a list of the OAuth 2.0 "response_type" values that this authorization server supports."
    When the client fetches the authorization server metadata
    Then the response has "<member>"

    Examples:
      | member                   |
      | issuer                   |
      | response_types_supported |

  @RFC8414-2 @MUST
  Scenario Outline: The metadata names the <member> the grants the target offers use
    RFC 8414 2: "authorization_endpoint [...] URL of the authorization server's authorization endpoint [RFC6749].  This is REQUIRED unless no grant types are supported that use the authorization endpoint."
    RFC 8414 2: "token_endpoint [...] URL of the authorization server's token endpoint [RFC6749].  This is REQUIRED unless only the implicit grant type is supported."
    When the client fetches the authorization server metadata
    Then the response has "<member>" unless no grant the target offers uses it

    Examples:
      | member                 |
      | authorization_endpoint |
      | token_endpoint         |

  # OPTIONAL members, and no keyword asks them to be complete: a capability the target has but
  # does not list is a warning, never a failure.
  @RFC8414-2 @MAY @warning
  Scenario Outline: The metadata advertises the <capability> the target supports
    RFC 8414 2: "grant_types_supported [...] OPTIONAL.  JSON array containing a list of the OAuth 2.0 grant type values that this authorization server supports."
    RFC 8414 2: "token_endpoint_auth_methods_supported [...] OPTIONAL.  JSON array containing a list of client authentication methods supported by this token endpoint."
    When the client fetches the authorization server metadata
    Then the response's "<member>" lists "<value>", or the report warns

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

  @RFC8414-2 @MAY @warning
  Scenario Outline: The metadata's <member>, when published, is the endpoint the suite uses, or the report warns
    No keyword asks the published URL to equal the one the profile gives (a proxy or a host alias
    differs legitimately): the URLs are compared after normalisation, and a difference is a warning.
    RFC 8414 2: "authorization_endpoint [...] URL of the authorization server's authorization endpoint [RFC6749]."
    RFC 8414 2: "token_endpoint [...] URL of the authorization server's token endpoint [RFC6749]."
    RFC 8414 2: "introspection_endpoint [...] OPTIONAL.  URL of the authorization server's OAuth 2.0 introspection endpoint [RFC7662]."
    RFC 8414 2: "revocation_endpoint [...] OPTIONAL.  URL of the authorization server's OAuth 2.0 revocation endpoint [RFC7009]."
    When the client fetches the authorization server metadata
    Then the response's "<member>", if published, is "{<endpoint>}", or the report warns

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

  @RFC9700-2.1.1 @RFC8414-2 @RFC7636-4.2 @SHOULD @pkce
  Scenario: The metadata advertises S256 as a code challenge method
    RFC 9700 2.1.1: "It is RECOMMENDED for authorization servers to publish the element `code_challenge_methods_supported` in their Authorization Server Metadata [RFC8414] containing the supported PKCE challenge methods (which can be used by the client to detect PKCE support)."
    RFC 8414 2: "code_challenge_methods_supported [...] OPTIONAL.  JSON array containing a list of Proof Key for Code Exchange (PKCE) [RFC7636] code challenge methods supported by this authorization server."
    RFC 7636 4.2: "If the client is capable of using "S256", it MUST use "S256", as "S256" is Mandatory To Implement (MTI) on the server."
    When the client fetches the authorization server metadata
    Then the response's "code_challenge_methods_supported" lists "S256"
