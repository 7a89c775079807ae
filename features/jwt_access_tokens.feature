Feature: Forged JWT access tokens are refused (RFC 6749 7, RFC 7662 4, RFC 8725)
  When the target's access tokens are JWTs (a compact JWS whose header names an "alg"), anyone
  who holds one can read its claims and try to pass off a changed copy. The suite takes a
  genuine token, checks that the resource accepts it (or that introspection reports it active),
  and presents a forgery instead: the same claims as an unsigned JWT ("alg" "none", in four
  spellings), signed by a key the suite made (with the original kid and with another), a claim
  changed under the original signature (a wider scope, another subject, a later expiry), and
  HS256 keyed with the server's own public key from its JWK Set (RS256/HS256 key confusion).
  A resource that also accepts a made-up token, or an introspection endpoint that reports one
  active, validates nothing at all: that is reported once, by bearer.feature and
  introspection.feature, and blocks these scenarios rather than failing each of them again.
  A target whose access tokens are not JWTs is not applicable; the key confusion needs a
  jwks_uri in the metadata. Forgeries other than "none" are made with go-jose; the unsigned
  ones and the changed claims are assembled by hand, since nothing is signed in them.

  @RFC6749-7 @RFC8725-3.1 @MUST @resource @user-token
  Scenario Outline: The resource refuses a JWT access token forged with <forgery>
    RFC 6749 7: "The resource server MUST validate the access token and ensure that it has not expired and that its scope covers the requested resource."
    RFC 8725 3.1: "Libraries MUST enable the caller to specify a supported set of algorithms and MUST NOT use any other algorithms when performing cryptographic operations. The library MUST ensure that the "alg" or "enc" header specifies the same algorithm that is used for the cryptographic operation. Moreover, each key MUST be used with exactly one algorithm, and this MUST be checked when the cryptographic operation is performed."
    The protection is judged: any answer but a 2xx is a refusal (a 5xx passes with a warning); how the refusal is worded is bearer.feature's business.
    Given a client has an access token for the resource
    And the access token is a JWT that the resource accepts
    When the access token is replaced by a forgery with <forgery>
    And the client calls the resource with the access token in the Authorization header
    Then the resource does not accept the forged token

    Examples:
      | forgery                                      |
      | alg "none"                                   |
      | alg "None"                                   |
      | alg "NONE"                                   |
      | alg "nOnE"                                   |
      | a signature by another key with the same kid |
      | a signature by another key with another kid  |
      | a widened scope under the original signature |
      | another subject under the original signature |
      | a later expiry under the original signature  |
      | HS256 keyed with the server's public key     |

  @RFC7662-4 @RFC7662-2.2 @RFC8725-3.1 @MUST @introspection @user-token
  Scenario Outline: Introspection reports a JWT access token forged with <forgery> inactive
    RFC 7662 4: "If the token has been signed, the authorization server MUST validate the signature."
    RFC 7662 2.2: "If the introspection call is properly authorized but the token is not active, does not exist on this server, or the protected resource is not allowed to introspect this particular token, then the authorization server MUST return an introspection response with the "active" field set to "false"."
    RFC 8725 3.1: "Libraries MUST enable the caller to specify a supported set of algorithms and MUST NOT use any other algorithms when performing cryptographic operations. The library MUST ensure that the "alg" or "enc" header specifies the same algorithm that is used for the cryptographic operation. Moreover, each key MUST be used with exactly one algorithm, and this MUST be checked when the cryptographic operation is performed."
    Given a client that may introspect and revoke has an access token
    And the access token is a JWT that the introspection endpoint reports active
    When the access token is replaced by a forgery with <forgery>
    And the token's client introspects the access token
    Then the token is reported inactive

    Examples:
      | forgery                                      |
      | alg "none"                                   |
      | alg "None"                                   |
      | alg "NONE"                                   |
      | alg "nOnE"                                   |
      | a signature by another key with the same kid |
      | a signature by another key with another kid  |
      | a widened scope under the original signature |
      | another subject under the original signature |
      | a later expiry under the original signature  |
      | HS256 keyed with the server's public key     |
