"""The kit's one error: an AWS error answer, and the answer to what it does not emulate.

- ``AwsError(code, message)``: what AWS answers, e.g. ``AwsError("ThrottlingException",
  "Rate exceeded")``. Raised while moto serves a request (by the kit or by a test's patch),
  moto serialises it with the error shape of the service that raised it, HTTP status included;
  botocore raises it as a ``ClientError`` with that code and message.
  ``status=`` sets the HTTP status where the service's model has no shape for the code (moto
  answers 400 then), e.g. 403 for an IAM denial of a REST or query service.
- ``NotEmulated(message)``: an ``AwsError`` with the code ``NotEmulated`` (``NOT_EMULATED``):
  a request the strict emulator cannot answer as AWS would, rather than a lenient answer.

moto warns ("Exception(AwsError) with code ... does not match an error shape") when a code is
not in the service's model; the kit's fixtures silence that warning.
"""

from __future__ import annotations

from testkit.moto_internals import ServiceException

NOT_EMULATED = "NotEmulated"


class AwsError(ServiceException):
    """An error answer of AWS: ``AwsError(code, message)``; ``status=`` the HTTP status where
    AWS's is not the one the service's model gives the code (400 for a code it does not list),
    e.g. Security Hub's ``TooManyRequestsException`` (429), or a denial's 403."""

    def __init__(self, *args: str, status: int | None = None) -> None:
        super().__init__(*args)
        self.status = status


class NotEmulated(AwsError):
    """A request strict moto cannot answer as AWS would."""

    code = NOT_EMULATED
