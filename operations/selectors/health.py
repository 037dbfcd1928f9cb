"""The readiness checks of /readyz (``ssi_portal.health``), in words for the helpdesk."""

from dataclasses import dataclass

from ssi_portal.health import readiness

# check -> (what it is, {answer: what the answer means}); any other answer means "failed".
WORDS = {
    "database": (
        "Database",
        {"ok": "Answering.", "failed": "Not answering: nothing can be read or saved."},
    ),
    "migrations": (
        "Database migrations",
        {
            "ok": "Every migration is applied.",
            "failed": "Migrations are not applied (or could not be read): run manage.py migrate.",
        },
    ),
    "broker": (
        "Task broker",
        {
            "ok": "Taking connections: emails and bulk uploads are queued for the workers.",
            "in-process": "No broker: tasks run inside the web process (the demo, the tests).",
            "failed": "Not taking connections: emails wait in the outbox until it is back.",
        },
    ),
    "install_code_keys": (
        "Install-code keys",
        {
            "ok": "Loaded: install codes can be sealed and revealed.",
            "failed": "Not loading: no install code can be saved or revealed.",
        },
    ),
}


@dataclass(frozen=True)
class Check:
    name: str
    label: str
    answer: str  # ok, in-process or failed
    meaning: str

    @property
    def ok(self) -> bool:
        return self.answer != "failed"


def health_checks() -> list[Check]:
    """Every readiness check, run now, with its words."""
    checks = []
    for name, answer in readiness().items():
        label, meanings = WORDS.get(name, (name.replace("_", " ").capitalize(), {}))
        meaning = meanings.get(answer, "Failed." if answer == "failed" else "Passed.")
        checks.append(Check(name=name, label=label, answer=answer, meaning=meaning))
    return checks
