"""TLS protocol facts as tables: the numbers on the wire and what they mean.

Every table names the RFC that defines it; the values are IANA's "TLS Parameters" registry.
The parser in :mod:`kslab.pcap.tls` only looks numbers up here; nothing about TLS's vocabulary
lives in ``if`` chains.

>>> version_name(0x0304), cipher_name(0x1302)
('TLS 1.3', 'TLS_AES_256_GCM_SHA384')
>>> is_grease(0x3A3A), extension_name(43)
(True, 'supported_versions')
"""

from __future__ import annotations

from pathlib import Path

# RFC 8446 section 5.1 (record layer): ContentType.
CONTENT_TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data",
                 24: "heartbeat"}
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA = 20, 21, 22, 23

# RFC 8446 section 4.2.1 and RFC 5246 appendix A.1: ProtocolVersion.
VERSIONS = {0x0002: "SSL 2.0", 0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2",
            0x0304: "TLS 1.3"}
#: Drafts of TLS 1.3 (draft-ietf-tls-tls13-NN) were negotiated as 0x7f00 + NN before RFC 8446 was final;
#: browsers shipped drafts 18 to 28 for a while, and captures from then carry them.
TLS13_DRAFT = 0x7F00
VERSIONS.update({TLS13_DRAFT + n: f"TLS 1.3 (draft {n})" for n in range(1, 29)})
#: Up to draft 21 a ServerHello had the draft's own layout (no session id echo, no compression
#: method) and named the version in its first field, not in supported_versions.
LAST_OLD_SERVER_HELLO_DRAFT = 21


def is_tls13(version: int) -> bool:
    """TLS 1.3 or one of its drafts: everything after the ServerHello is encrypted.

    >>> is_tls13(0x0304), is_tls13(0x7F12), is_tls13(0x0303)
    (True, True, False)
    """
    return version == 0x0304 or TLS13_DRAFT < version <= TLS13_DRAFT + 28

# RFC 8446 section 4 and RFC 5246 section 7.4: HandshakeType.
HANDSHAKE_TYPES = {0: "hello_request", 1: "client_hello", 2: "server_hello", 4: "new_session_ticket",
                   5: "end_of_early_data", 8: "encrypted_extensions", 11: "certificate",
                   12: "server_key_exchange", 13: "certificate_request", 14: "server_hello_done",
                   15: "certificate_verify", 16: "client_key_exchange", 20: "finished",
                   24: "key_update", 254: "message_hash"}
CLIENT_HELLO, SERVER_HELLO, CERTIFICATE, CERTIFICATE_REQUEST = 1, 2, 11, 13

# RFC 8446 section 4.1.3: a ServerHello whose random is SHA-256("HelloRetryRequest") is a HelloRetryRequest.
HELLO_RETRY_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

# IANA ExtensionType values; the defining RFC in the comment.
EXTENSIONS = {
    0: "server_name",                # RFC 6066 section 3 (SNI)
    1: "max_fragment_length",        # RFC 6066
    5: "status_request",             # RFC 6066 (OCSP stapling)
    10: "supported_groups",          # RFC 8422, RFC 7919
    11: "ec_point_formats",          # RFC 8422
    13: "signature_algorithms",      # RFC 8446 section 4.2.3
    16: "application_layer_protocol_negotiation",  # RFC 7301 (ALPN)
    18: "signed_certificate_timestamp",            # RFC 6962
    21: "padding",                   # RFC 7685
    22: "encrypt_then_mac",          # RFC 7366
    23: "extended_master_secret",    # RFC 7627
    27: "compress_certificate",      # RFC 8879
    28: "record_size_limit",         # RFC 8449
    35: "session_ticket",            # RFC 5077
    41: "pre_shared_key",            # RFC 8446 section 4.2.11
    42: "early_data",                # RFC 8446 section 4.2.10
    43: "supported_versions",        # RFC 8446 section 4.2.1
    44: "cookie",                    # RFC 8446 section 4.2.2
    45: "psk_key_exchange_modes",    # RFC 8446 section 4.2.9
    47: "certificate_authorities",   # RFC 8446 section 4.2.4
    49: "post_handshake_auth",       # RFC 8446 section 4.2.6
    50: "signature_algorithms_cert", # RFC 8446 section 4.2.3
    51: "key_share",                 # RFC 8446 section 4.2.8
    17513: "application_settings",   # draft-vvv-tls-alps
    0xFE0D: "encrypted_client_hello",  # draft-ietf-tls-esni (ECH)
    0xFF01: "renegotiation_info",    # RFC 5746
}
EXT_SERVER_NAME, EXT_SUPPORTED_GROUPS, EXT_SIGNATURE_ALGORITHMS, EXT_ALPN = 0, 10, 13, 16
EXT_PRE_SHARED_KEY, EXT_SUPPORTED_VERSIONS, EXT_KEY_SHARE, EXT_ECH = 41, 43, 51, 0xFE0D

# IANA TLS Cipher Suites: the whole registry, as data (kslab/data/tls/cipher-suites.tsv names its source).
def _load_cipher_suites() -> dict[int, str]:
    path = Path(__file__).resolve().parent.parent / "data" / "tls" / "cipher-suites.tsv"
    table = {}
    for line in path.read_text(encoding="ascii").splitlines():
        if line and not line.startswith("#"):
            value, name, _refs = line.split("\t", 2)
            table[int(value, 16)] = name
    return table


CIPHER_SUITES = _load_cipher_suites()
#: SSL 2.0's own 3-byte cipher kinds (the SSL 2.0 specification, 1995), offered in SSLv2-format hellos.
CIPHER_SUITES.update({0x010080: "SSL_CK_RC4_128_WITH_MD5", 0x020080: "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
                      0x030080: "SSL_CK_RC2_128_CBC_WITH_MD5", 0x040080: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
                      0x050080: "SSL_CK_IDEA_128_CBC_WITH_MD5", 0x060040: "SSL_CK_DES_64_CBC_WITH_MD5",
                      0x0700C0: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"})

# IANA Supported Groups (RFC 8422, RFC 7919, RFC 8446 section 4.2.7; hybrid post-quantum drafts).
GROUPS = {23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 29: "x25519", 30: "x448",
          256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 0x11EC: "X25519MLKEM768",
          0x6399: "X25519Kyber768Draft00"}

# RFC 8446 section 6: AlertDescription (level 1 = warning, 2 = fatal).
ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
          40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
          44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
          47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
          51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
          80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
          109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
          113: "bad_certificate_status_response", 115: "unknown_psk_identity",
          116: "certificate_required", 120: "no_application_protocol"}
ALERT_LEVELS = {1: "warning", 2: "fatal"}

#: The largest record body allowed: 2^14 plaintext + 2048 expansion (RFC 5246 section 6.2.3);
#: anything bigger means we are not looking at TLS records (or lost their boundaries).
MAX_RECORD = (1 << 14) + 2048


def is_grease(value: int) -> bool:
    """GREASE values (RFC 8701) are random-looking placeholders a client sends to keep servers honest.

    >>> is_grease(0x0A0A), is_grease(0x0A0B)
    (True, False)
    """
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def _name(table: dict[int, str], value: int, width: int = 4) -> str:
    if is_grease(value):
        return "GREASE"
    return table.get(value) or f"0x{value:0{width}x}"


def version_name(value: int) -> str:
    """``TLS 1.2`` for 0x0303; unknown values in hex."""
    return _name(VERSIONS, value)


def cipher_name(value: int) -> str:
    """The IANA name of a cipher suite."""
    return _name(CIPHER_SUITES, value)


def extension_name(value: int) -> str:
    """The IANA name of an extension."""
    return _name(EXTENSIONS, value)


def group_name(value: int) -> str:
    """The IANA name of a key-exchange group."""
    return _name(GROUPS, value)


def alert_name(level: int, description: int) -> str:
    """``fatal handshake_failure`` and the like.

    >>> alert_name(2, 116)
    'fatal certificate_required'
    """
    return f"{ALERT_LEVELS.get(level, f'level {level}')} {ALERTS.get(description, f'alert {description}')}"


def handshake_name(value: int) -> str:
    """The name of a handshake message type."""
    return HANDSHAKE_TYPES.get(value, f"handshake type {value}")
