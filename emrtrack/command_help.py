"""What each command is for, as its help page says (translated where it is shown)."""

from __future__ import annotations

from emrtrack.i18n import N_

COMMAND_HELP = {
    "load": N_(
        "Load facilities and requirements (YAML, CSV, XLSX).\n\n"
        "Every file is validated first; then facilities and requirements are added or updated in one transaction.\n\n"
        "Facilities are matched by id; none is ever deleted. Loading the same file twice changes nothing. A milestone "
        "date already recorded is replaced only with --correct.\n\n"
        "Example: emrtrack load data/nghe-an-2898.yaml --dry-run"
    ),
    "template": N_(
        "Write an empty facility list to fill in (.xlsx or .csv).\n\n"
        "It has the columns `load` reads.\n\n"
        "Columns: id, name, aliases (separated by ;), ownership, kind, managed_by, location, verified, then a date "
        "for each of the register's milestones (by default appraised, deployed, annex-signed), then for each "
        "MILESTONE_on_or_before and MILESTONE_source. Dates are date cells, or text dd/mm/yyyy or YYYY-MM-DD.\n\n"
        "Example: emrtrack template --format xlsx --output facilities.xlsx"
    ),
    "export": N_(
        "Write the register's present facts in a format load reads.\n\n"
        "YAML holds everything (register facts, requirements, facilities with their milestones); CSV and XLSX hold "
        "the facility list that template describes. Facilities by id, keys in a fixed order, one block per facility: "
        "two exports of the same facts are identical, so a register kept in git changes only where its facts do.\n\n"
        "Example: emrtrack export --output register.yaml --history history.jsonl"
    ),
    "status": N_(
        "Who is on time, late, overdue or not yet due, at a glance.\n\n"
        "For each requirement: counts by state, the same split by ownership, milestones, data age, notes.\n\n"
        "Example: emrtrack status --as-of 2025-09-01"
    ),
    "mark-deployed": N_(
        "Record that facilities have deployed EMR.\n\n"
        "The same as: emrtrack mark FACILITY... deployed.\n\n"
        'Example: emrtrack mark-deployed "do luong" --on 2025-08-20 --ref 3120/SYT-VP'
    ),
    "mark": N_(
        "Record a milestone for one or more facilities.\n\n"
        "On a date (--on, default today), or on or before a date when exactly when is not known (--on-or-before, "
        "with its --source). Several facilities, or --all, are one change; what will change is listed and "
        "confirmed first (--yes skips the question).\n\n"
        'Example: emrtrack mark "hoan my" annex-signed --on 2025-08-25\n\n'
        'Example: emrtrack mark --all deployed --on-or-before 2025-09-24 --ref "VietNamNet, 26 September 2025"'
    ),
    "report": N_(
        "List facilities and their state, or only the overdue.\n\n"
        "Grouped by ownership (public first), most overdue first.\n\n"
        "Example: emrtrack report --overdue --as-of 2025-09-01 --format csv > overdue.csv"
    ),
    "chart": N_(
        "Draw deployment progress against the deadline.\n\n"
        "Deployed facilities over time against those in scope, the deadline marked, and a forecast at the pace of the "
        "last 8 weeks.\n\n"
        "Example: emrtrack chart --output progress.svg"
    ),
    "show": N_(
        "Everything known about one facility.\n\n"
        "Its facts, its milestones, its state under each requirement, and its history.\n\n"
        'Example: emrtrack show "quan y 4"'
    ),
    "history": N_(
        'The register\'s history of changes, newest first.\n\nExample: emrtrack history "do luong" --limit 5'
    ),
    "undo": N_(
        "Show the latest change and revert it.\n\n"
        "Or any change alone (--change N, its number in history), unless a later change touched the same facts. "
        "The undo is recorded too: history keeps both.\n\n"
        "Example: emrtrack undo --change 5"
    ),
    "backup": N_(
        "Back the register up into one file, safely.\n\n"
        "The copy holds every change committed when it began, however many officers write meanwhile, and is "
        "checked like verify before it is kept. A copy of register.db taken with the file manager may lose recent "
        "changes: use this instead.\n\n"
        "Example: emrtrack backup backups/register-2025-09-01.db"
    ),
    "restore": N_(
        "Put a backup in the place of the register.\n\n"
        "The backup is checked first (a damaged or altered one is refused); the register it replaces is kept beside "
        "it, renamed. Nobody else should use the register meanwhile.\n\n"
        "Example: emrtrack restore backups/register-2025-09-01.db"
    ),
    "verify": N_(
        "Check that the history was not altered.\n\n"
        "Recomputes the history's hash chain and replays it into the state it should give.\n\n"
        'Prints "ok" with the number of events checked and the hash of the last one (quote it to prove later that '
        "nothing was changed), or names the first event altered, deleted or inserted (exit code 1).\n\n"
        "Example: emrtrack verify"
    ),
    "extend": N_(
        "Give one facility a later deadline, by a document.\n\n"
        "The extension replaces the requirement's deadline for this facility from the day it was granted (--granted, "
        "default the document's date); reports show the original deadline and the document.\n\n"
        'Example: emrtrack extend "do luong" --requirement 2898 --until 2025-10-31 --basis 3500/SYT-NVY '
        "--basis-date 2025-09-05"
    ),
    "exempt": N_(
        "Exempt one facility from a requirement, by a document.\n\n"
        "Out of the requirement's scope from --from until --until (inclusive; without it, no end). status counts the "
        "exempt; report --exempt lists them.\n\n"
        'Example: emrtrack exempt "quy hop" --requirement 13/2025/TT-BYT --from 2025-07-21 --until 2026-06-30 '
        "--basis 1234/SYT-NVY"
    ),
    "commit": N_(
        "Record the date a facility committed to.\n\n"
        "Its legal deadline stays; report --broken-commitments lists those past their own date without it done.\n\n"
        'Example: emrtrack commit "do luong" --date 2025-08-15 --basis "112/BC-BVĐL" --basis-date 2025-07-14'
    ),
    "withdraw": N_(
        "Withdraw a facility entered by mistake.\n\n"
        "It leaves every report; its history stays, and reinstate puts it back. (A facility that closed or merged "
        "is not withdrawn: load its closed or merged_into date.)\n\n"
        'Example: emrtrack withdraw bv-do-luong --basis "duplicate of do-luong-general"'
    ),
    "reinstate": N_("Put a withdrawn facility back in the reports.\n\nExample: emrtrack reinstate bv-do-luong"),
}
