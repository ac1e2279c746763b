"""Real-export fixtures, and the zips the tests upload them as.

``tests/data/exports/salesforce_weekly/`` is a Salesforce weekly Data Export scaled down from the one
measured in crm-formats.md ("Measured on real exports"): Windows-1252, every value double-quoted, LF
line ends, null lookups written as ``000000000000000AAA``, booleans ``1``/``0``, localised stage
names. What it holds, counted by hand (tests assert these):

Users (User.csv, 15; ``ManagerId`` empty on all; the hierarchy is in UserRole.csv):
  8 Standard: 0058d0000000001AAA Marta Gómez (VP Sales, role Dirección Comercial, at the top),
  0058d0000000002AAA Andrés Peña (leader of Ventas Norte: the player-coach, the best seller),
  0058d0000000003AAA Laura Sáenz (leader of Ventas Sur), 0058d0000000004AAA Pablo Ortega (Norte),
  0058d0000000005AAA Irene Castro (Norte, inactive), 0058d0000000006AAA Diego Romero (Sur),
  0058d0000000007AAA Nuria Vidal (Sur, inactive), 0058d0000000008AAA Carlos Méndez (inactive, no role).
  7 others, none with a role: 2 LicenseManager (0058d0000000009AAA "DocGen License Manager", who owns
  task 00T8d0000000017AAA and therefore stays; 0058d0000000010AAA, inactive), 1 SfdcAdmin (…011),
  1 AutomatedProcess (…012), 1 CloudIntegrationUser (…013), 1 CsnOnly (…014), 1 ExternalWho (…015,
  inactive). Reps expected: the 8 Standard users and …009 (9 reps); 6 users left out.
  Managers from the roles: …002 and …003 report to …001; …004 and …005 to …002; …006 and …007 to
  …003; …001, …008 and …009 have none.
Roles (UserRole.csv, 5): 00E8d0000000001AAA Dirección Comercial; …002 Ventas Norte and …003 Ventas
  Sur under it; …004 Ejecutivo Norte under …002; …005 Ejecutivo Sur under …003.
Accounts (Account.csv): 12, all owned by Standard users.
Opportunities (Opportunity.csv): 40, IDs 0068d00000000NNAAA (NN = 01..40), created 2022-10-17 to
  2023-12-18, all in USD: 19 won, 11 lost, 10 open (stages Interes, Diseño Propuesta, Presentación
  Propuesta, Negociación, Firmas; IsClosed/IsWon as 1/0).
  - close before created (3): 0068d0000000004AAA (won, 41,000, Andrés), 0068d0000000028AAA (won,
    26,000, Diego), 0068d0000000038AAA (lost, 17,000, Nuria).
  - no Amount (2): 0068d0000000017AAA (open, Pablo), 0068d0000000021AAA (lost, Irene).
  - AccountId null ID (2): 0068d0000000017AAA, 0068d0000000019AAA (both open, Pablo).
  - won amount by owner: Andrés 369,500 (8 won); Diego 156,500 (5); Marta 80,000 (1); Nuria 63,500 (3);
    Laura 22,000 (1); Pablo 9,500 (1); Irene 0. Andrés' team (Pablo, Irene) won 9,500 in all.
  - 0068d0000000006AAA has a description with an embedded newline and doubled quotes.
  - newest SystemModstamp: 2023-12-29 17:42:10 (0068d0000000032AAA): the data's as-of date, 2023-12-29.
Tasks (Task.csv): 20, no TaskSubtype column; Type blank on all but 00T8d0000000001AAA ("Call");
  3 open (IsClosed 0: …018, …019, …020); ActivityDate written with " 00:00:00".
Events (Event.csv): 8; Type blank on 6 (…001 and …004 are "Meeting").
Header only: ForecastingQuota.csv (the weekly export's columns: no owner, no period), Case.csv.
Not used by the scorecard: Contact.csv (6), Lead.csv (5), Campaign.csv (2), Competidor__c.csv (a
  custom object, 2).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

EXPORTS = Path(__file__).resolve().parent / "data" / "exports"
SALESFORCE_WEEKLY = EXPORTS / "salesforce_weekly"


def zip_export(folder: Path, target: Path) -> Path:
    """The folder's CSVs zipped into ``target`` (a file path, or a folder to write
    ``<folder name>.zip`` in), members at the top of the archive as Salesforce delivers them."""
    path = target / f"{folder.name}.zip" if target.is_dir() else target
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(folder.glob("*.csv")):
            archive.write(member, arcname=member.name)
    return path


def salesforce_weekly_zip(target: Path) -> Path:
    """``WE_00D8d000000kQ2xEAE_1.zip``: the weekly Salesforce export, as one zip."""
    return zip_export(SALESFORCE_WEEKLY, target / "WE_00D8d000000kQ2xEAE_1.zip" if target.is_dir() else target)
