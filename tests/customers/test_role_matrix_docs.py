from pathlib import Path

from customers.models import ROLE_MATRIX, Ability, Role

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_prints_the_role_matrix_the_code_enforces():
    rows = {}
    for line in README.read_text().splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0].split("`")[1]] = cells[1:]
    roles = [Role.OWNER, Role.BILLING, Role.TECHNICAL, Role.READ_ONLY]
    for ability in Ability.values:
        expected = ["yes" if ability in ROLE_MATRIX[role] else "—" for role in roles]
        assert rows.get(ability) == expected, ability
