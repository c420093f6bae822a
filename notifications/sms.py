"""SMS gateways: one interface, a console backend by default, SMSAPI.pl for real."""

import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway refused or could not be reached; the delivery is retried."""


@dataclass(frozen=True)
class SmsResult:
    provider_id: str


class ConsoleSmsBackend:
    """Writes the SMS to the log: the embedded default, nothing leaves the machine."""

    def send(self, to: str, text: str) -> SmsResult:
        logger.info("SMS to %s: %s", to, text)
        return SmsResult(provider_id="console")


class SmsApiBackend:
    """SMSAPI.pl (https://www.smsapi.pl/docs): POST /sms.do with a bearer token, JSON answer.

    Settings: SMSAPI_TOKEN, SMSAPI_SENDER (a registered sender name), SMSAPI_URL,
    SMSAPI_TIMEOUT (seconds to connect and to read).
    """

    def __init__(self):
        self.url = getattr(settings, "SMSAPI_URL", "https://api.smsapi.pl/sms.do")
        self.token = settings.SMSAPI_TOKEN
        self.sender = getattr(settings, "SMSAPI_SENDER", "")
        self.timeout = getattr(settings, "SMSAPI_TIMEOUT", (3.05, 10))

    def send(self, to: str, text: str) -> SmsResult:
        data = {"to": international_number(to), "message": text, "format": "json"}
        if self.sender:
            data["from"] = self.sender
        data["encoding"] = "utf-8"
        try:
            response = requests.post(
                self.url,
                data=data,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise SmsError(f"SMSAPI unreachable: {error}") from error
        try:
            answer = response.json()
        except ValueError as error:
            raise SmsError(f"SMSAPI answered {response.status_code} without JSON") from error
        if not isinstance(answer, dict):
            raise SmsError(f"SMSAPI answered {response.status_code} with {answer!r:.200}")
        if response.status_code != 200 or "error" in answer:
            raise SmsError(f"SMSAPI error {answer.get('error')}: {answer.get('message', '')}")
        try:
            return SmsResult(provider_id=str(answer["list"][0]["id"]))
        except (KeyError, IndexError, TypeError) as error:
            raise SmsError(f"SMSAPI answered without a message id: {answer!r:.200}") from error


def international_number(phone: str) -> str:
    """Digits only, with the country code: a bare 9-digit number is Polish (48…)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 9 and not phone.strip().startswith("+"):
        return f"48{digits}"
    return digits


def sms_backend():
    """The gateway SMS_BACKEND names (the console one unless configured)."""
    return import_string(getattr(settings, "SMS_BACKEND", "notifications.sms.ConsoleSmsBackend"))()
