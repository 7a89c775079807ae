@tls
Feature: TLS, when the target is served over https
  The RFCs require TLS on the endpoints that carry credentials and tokens, and BCP 195
  (RFC 9325) says which TLS. These scenarios run only against a target served over https (its
  issuer's scheme); an http target, such as the loopback reference server of a default run, is
  not applicable. A plain http request counts as refused when nothing answers it, when it is
  redirected to https, or when it gets an error status that is not an OAuth answer; a code, a
  token, an introspection answer or a login page served over plain http fails. Before the
  profile's credentials are ever sent over plain http, the same request goes with a wrong
  secret: only a server that answers that as OAuth over plain http is sent the real one, and
  then its secret has travelled in the clear (the failure says so). The handshake checks
  connect to every https origin of the issuer, the endpoints and the protected resource.

  @RFC6749-3.1 @RFC6749-10.9 @MUST @grant-authorization-code
  Scenario: An authorization request over plain http is refused or redirected to https
    RFC 6749 3.1: "Since requests to the authorization endpoint result in user authentication and the transmission of clear-text credentials (in the HTTP response), the authorization server MUST require the use of TLS as described in Section 1.6 when sending requests to the authorization endpoint."
    RFC 6749 10.9: "In order to prevent man-in-the-middle attacks, the authorization server MUST require the use of TLS with server authentication as defined by [RFC2818] for any request sent to the authorization and token endpoints."
    Then plain http to the authorization endpoint is refused or redirected to https

  @RFC6749-3.2 @RFC6749-10.9 @MUST
  Scenario: A token request over plain http issues no token
    RFC 6749 3.2: "Since requests to the token endpoint result in the transmission of clear-text credentials (in the HTTP request and response), the authorization server MUST require the use of TLS as described in Section 1.6 when sending requests to the token endpoint."
    RFC 6749 10.9: "In order to prevent man-in-the-middle attacks, the authorization server MUST require the use of TLS with server authentication as defined by [RFC2818] for any request sent to the authorization and token endpoints."
    Then plain http to the token endpoint is refused or redirected to https

  @RFC7662-2 @MUST @introspection
  Scenario: An introspection request over plain http is not answered
    RFC 7662 2: "The introspection endpoint MUST be protected by a transport-layer security mechanism as described in Section 4."
    Then plain http to the introspection endpoint is refused or redirected to https

  # The same section asks a server reachable over http to "also offer a revocation service at
  # the corresponding HTTP URI" (SHOULD), so that tokens sent there by mistake die: plain http
  # at the revocation endpoint is not judged, only the URL the target publishes.
  @RFC7009-2 @MUST @revocation
  Scenario: The revocation endpoint the target publishes is an https URL
    RFC 7009 2: "Since requests to the token revocation endpoint result in the transmission of plaintext credentials in the HTTP request, URLs for token revocation endpoints MUST be HTTPS URLs."
    RFC 7009 2: "If the host of the token revocation endpoint can also be reached over HTTP, then the server SHOULD also offer a revocation service at the corresponding HTTP URI, but it MUST NOT publish this URI as a token revocation endpoint."
    Then the revocation endpoint the target publishes is an https URL

  # The sentence binds the client: a resource that answers plain http breaks nothing of the
  # server's, and the report warns. The probe carries no token.
  @RFC6750-5.3 @MUST @warning @resource
  Scenario: A protected resource reached over plain http is refused, or the report warns
    RFC 6750 5.3: "Clients MUST always use TLS [RFC5246] (https) or equivalent transport security when making requests with bearer tokens."
    Then the protected resource refuses plain http, or the report warns

  @RFC9325-3.1.1 @MUST
  Scenario Outline: A handshake offering only <version> is refused
    RFC 9325 3.1.1: "Implementations MUST NOT negotiate TLS version 1.0 [RFC2246]."
    RFC 9325 3.1.1: "Implementations MUST NOT negotiate TLS version 1.1 [RFC4346]."
    Then every https origin of the target refuses a handshake offering only <version>

    Examples:
      | version |
      | TLS 1.0 |
      | TLS 1.1 |

  @RFC9325-4.1 @MUST
  Scenario: A handshake offering only RC4 cipher suites is refused
    RFC 9325 4.1: "Implementations MUST NOT negotiate RC4 cipher suites."
    Then every https origin of the target refuses a handshake offering only RC4 cipher suites

  @RFC9325-4.1 @SHOULD
  Scenario Outline: A handshake offering only <suites> cipher suites is refused
    RFC 9325 4.1: "Implementations SHOULD NOT negotiate cipher suites that use algorithms offering less than 128 bits of security."
    RFC 9325 4.1: "Implementations SHOULD NOT negotiate cipher suites based on RSA key transport, a.k.a. "static RSA"."
    Then every https origin of the target refuses a handshake offering only <suites> cipher suites

    Examples:
      | suites     |
      | 3DES       |
      | static RSA |

  @RFC6749-10.9 @MUST
  Scenario: The server's certificate verifies for its host name
    RFC 6749 10.9: "In order to prevent man-in-the-middle attacks, the authorization server MUST require the use of TLS with server authentication as defined by [RFC2818] for any request sent to the authorization and token endpoints."
    Then every https origin of the target presents a certificate that verifies for its host name
