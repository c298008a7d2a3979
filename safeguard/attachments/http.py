"""What the services' attachment routes share: the form's OpenAPI, and their answers."""

from __future__ import annotations

import copy
from typing import Any

from safeguard.attachments.kinds import ALLOWED
from safeguard.attachments.models import DocumentType
from safeguard.errors import documented_problem

# The body is read as a stream (never whole), so FastAPI does not parse it: this documents it.
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["file", "document_type", "title"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The document. Accepted types (decided from the"
                            " content, never the name): " + ", ".join(sorted(ALLOWED)) + ".",
                        },
                        "document_type": {
                            "type": "string",
                            "enum": [kind.value for kind in DocumentType],
                        },
                        "title": {"type": "string", "minLength": 1, "maxLength": 200},
                        "police_only": {
                            "type": "boolean",
                            "default": False,
                            "description": "Seen only by the police; only they may set it.",
                        },
                    },
                }
            }
        },
    }
}


def upload_body(*, police_only: bool) -> dict[str, Any]:
    """The upload form's OpenAPI; `police_only` where the caller may mark a document so."""
    body = copy.deepcopy(_UPLOAD_BODY)
    if not police_only:
        schema = body["requestBody"]["content"]["multipart/form-data"]["schema"]
        del schema["properties"]["police_only"]
    return body


UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: documented_problem(
        "The form has no `file` part, more than one, a field it does not take, or an over-long"
        " field (`Malformed upload`)."
    ),
    413: documented_problem("The file is over the size limit (`Attachment too large`)."),
    415: documented_problem(
        "The body is not `multipart/form-data`, or the file's content is not of an accepted"
        " type (`File type not allowed`): its name and declared type are not trusted."
    ),
    422: documented_problem(
        "A form field is invalid (`errors` names it), the file is empty or the scanner could"
        " not read it (`Unreadable file`), or the scanner found malware (`Infected file`)."
        " Nothing refused is stored."
    ),
    503: documented_problem(
        "The virus scanner cannot be reached (`Scanner unavailable`): no file is accepted"
        " unscanned.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
}

DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, always as a download (`Content-Disposition: attachment`,"
        " `X-Content-Type-Options: nosniff`), of the type its content was found to be. The"
        " read is logged.",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in ALLOWED},
        "headers": {
            "Content-Disposition": {"schema": {"type": "string"}},
            "X-Content-Type-Options": {"schema": {"type": "string", "enum": ["nosniff"]}},
        },
    },
    404: documented_problem("No attachment with that id on the case that you may see."),
}
