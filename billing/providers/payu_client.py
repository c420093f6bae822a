"""PayU REST API v2.1: every call to PayU's servers, with timeouts.

An OAuth client_credentials token, then order create.
"""

import hashlib
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

TIMEOUT = (5, 15)  # seconds: connect, read
SANDBOX_URL = "https://secure.snd.payu.com"
# What PayU writes in the notification header's `algorithm=`, by our setting's name.
SIGNATURE_ALGORITHMS = {"MD5": "md5", "SHA-256": "sha256"}
TOKEN_MARGIN = 60  # seconds: a cached token is dropped this long before PayU expires it


def canonical_algorithm(name: str) -> str:
    """PayU and people write SHA-256 both with and without the dash."""
    name = name.strip().upper()
    return "SHA-256" if name == "SHA256" else name


class PayUError(Exception):
    """PayU refused the call or could not be reached; nothing was registered."""


@dataclass(frozen=True)
class PayUConfig:
    base_url: str
    pos_id: str
    client_id: str
    client_secret: str
    second_key: str
    signature_algorithm: str

    @classmethod
    def from_settings(cls) -> "PayUConfig":
        config = cls(
            base_url=str(getattr(settings, "PAYU_BASE_URL", SANDBOX_URL)).rstrip("/"),
            pos_id=str(getattr(settings, "PAYU_POS_ID", "")),
            client_id=str(getattr(settings, "PAYU_CLIENT_ID", "")),
            client_secret=str(getattr(settings, "PAYU_CLIENT_SECRET", "")),
            second_key=str(getattr(settings, "PAYU_SECOND_KEY", "")),
            signature_algorithm=canonical_algorithm(
                str(getattr(settings, "PAYU_SIGNATURE_ALGORITHM", "MD5"))
            ),
        )
        missing = [
            name
            for name, value in [
                ("PAYU_POS_ID", config.pos_id),
                ("PAYU_CLIENT_ID", config.client_id),
                ("PAYU_CLIENT_SECRET", config.client_secret),
                ("PAYU_SECOND_KEY", config.second_key),
            ]
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(f"PayU is enabled but not configured: {', '.join(missing)}")
        if config.signature_algorithm not in SIGNATURE_ALGORITHMS:
            raise ImproperlyConfigured(
                f"PAYU_SIGNATURE_ALGORITHM must be one of {', '.join(SIGNATURE_ALGORITHMS)}"
            )
        return config


def notification_signature(config: PayUConfig, body: bytes) -> str:
    """PayU signs a notification as hash(raw body + second key), hex, with our algorithm."""
    digest = hashlib.new(SIGNATURE_ALGORITHMS[config.signature_algorithm])
    digest.update(body + config.second_key.encode())
    return digest.hexdigest()


def _token_cache_key(config: PayUConfig) -> str:
    who = f"{config.base_url}|{config.client_id}".encode()
    return f"payu-token:{hashlib.sha256(who).hexdigest()}"


def access_token(config: PayUConfig, *, fresh: bool = False) -> str:
    """An OAuth client_credentials token, reused until shortly before it expires."""
    key = _token_cache_key(config)
    if not fresh and (token := cache.get(key)):
        return token
    try:
        response = requests.post(
            f"{config.base_url}/pl/standard/user/oauth/authorize",
            data={
                "grant_type": "client_credentials",
                "client_id": config.client_id,
                "client_secret": config.client_secret,
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise PayUError(f"PayU could not be reached for a token: {error}") from error
    if response.status_code != 200:
        raise PayUError(f"PayU refused a token: HTTP {response.status_code}")
    try:
        data = response.json()
        token = str(data["access_token"])
        expires_in = int(data.get("expires_in", 0))
    except (ValueError, KeyError, TypeError) as error:
        raise PayUError(f"PayU's token answer is malformed: {error}") from error
    if expires_in > TOKEN_MARGIN:
        cache.set(key, token, timeout=expires_in - TOKEN_MARGIN)
    return token


def create_order(config: PayUConfig, order: dict) -> tuple[str, str]:
    """Register an order; returns PayU's (orderId, redirectUri).

    PayU answers 302 (or 201) with the JSON in the body; the redirect is for the
    customer's browser, so it is not followed here. A token PayU no longer accepts is
    renewed once.
    """
    for fresh in (False, True):
        try:
            response = requests.post(
                f"{config.base_url}/api/v2_1/orders",
                json=order,
                headers={"Authorization": f"Bearer {access_token(config, fresh=fresh)}"},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise PayUError(f"PayU could not be reached to create an order: {error}") from error
        if response.status_code != 401:
            break
    try:
        data = response.json()
    except ValueError:
        data = {}
    status = data.get("status", {}) if isinstance(data, dict) else {}
    status_code = status.get("statusCode") if isinstance(status, dict) else None
    if response.status_code not in (200, 201, 302) or status_code != "SUCCESS":
        raise PayUError(f"PayU refused the order: HTTP {response.status_code}, {status}")
    try:
        return str(data["orderId"]), str(data["redirectUri"])
    except KeyError as error:
        raise PayUError(f"PayU's order answer lacks {error}") from error
