"""The closed set of verdicts and their priority (DMOJ orders its flags the same way)."""

import enum


class Verdict(str, enum.Enum):
    ACCEPTED = "ACCEPTED"
    WRONG_ANSWER = "WRONG_ANSWER"
    RUNTIME_ERROR = "RUNTIME_ERROR"
    COMPILATION_ERROR = "COMPILATION_ERROR"
    OUTPUT_LIMIT_EXCEEDED = "OUTPUT_LIMIT_EXCEEDED"
    MEMORY_LIMIT_EXCEEDED = "MEMORY_LIMIT_EXCEEDED"
    TIME_LIMIT_EXCEEDED = "TIME_LIMIT_EXCEEDED"
    INTERNAL_ERROR = "INTERNAL_ERROR"

    @property
    def priority(self):
        """Higher wins when several outcomes occur in one judging."""
        return _PRIORITY.index(self)

    @classmethod
    def worst(cls, verdicts):
        """The highest-priority verdict of `verdicts`; ACCEPTED when there are none."""
        return max(verdicts, key=lambda v: v.priority, default=cls.ACCEPTED)

    @classmethod
    def from_folder(cls, name):
        """`submissions/<name>/` of a problem package: `wrong_answer` → WRONG_ANSWER."""
        return cls(name.upper())


# Lowest first. INTERNAL_ERROR outranks everything: a judge fault must never be blamed on the submitter.
_PRIORITY = [
    Verdict.ACCEPTED,
    Verdict.WRONG_ANSWER,
    Verdict.RUNTIME_ERROR,
    Verdict.COMPILATION_ERROR,
    Verdict.OUTPUT_LIMIT_EXCEEDED,
    Verdict.MEMORY_LIMIT_EXCEEDED,
    Verdict.TIME_LIMIT_EXCEEDED,
    Verdict.INTERNAL_ERROR,
]
