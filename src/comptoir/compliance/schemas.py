"""Request and response bodies of the compliance API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class FecProblemOut(BaseModel):
    line: int = Field(
        description="Line of the file (1 is the header; 0 for the file as a whole)",
        examples=[42],
    )
    column: str | None = Field(description="FEC column concerned", examples=["Debit"])
    code: str = Field(examples=["unbalanced"])
    message: str = Field(
        examples=["Entry VT-2026-00012 of journal VT does not balance (debit - credit = 0.01)."]
    )


class FecCheckOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fiscal_year_start": "2026-01-01",
                    "fiscal_year_end": "2026-12-31",
                    "filename": "123456789FEC20261231.txt",
                    "lines": 1250,
                    "entries": 410,
                    "ok": True,
                    "problems": [],
                    "more_problems": 0,
                }
            ]
        }
    )

    fiscal_year_start: date
    fiscal_year_end: date
    filename: str | None = Field(description="The legal file name; null without a SIREN")
    lines: int = Field(description="Records of the file, header excluded")
    entries: int
    ok: bool
    problems: list[FecProblemOut]
    more_problems: int = Field(description="Problems found beyond the first 1000 listed")


class FecImportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entries": 410,
                    "lines": 1250,
                    "accounts_created": ["41100000", "60610000"],
                    "journals_created": ["HA"],
                    "parties_created": ["DUPONT"],
                    "matchings": 120,
                    "unmatched_letterings": ["AB"],
                }
            ]
        }
    )

    entries: int
    lines: int
    accounts_created: list[str]
    journals_created: list[str]
    parties_created: list[str]
    matchings: int = Field(description="Lettering groups matched again")
    unmatched_letterings: list[str] = Field(
        description="Lettering codes carried by one line of the file only (lettered with a "
        "line of another year): the line is imported open"
    )
