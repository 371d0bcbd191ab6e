"""README's promise: two set-up commands, and CI runs exactly the test one."""
import re

from conftest import ROOT


def readme_commands():
    return re.findall(r"```bash\n([^\n]*python3 -m venv[^\n]*)\n```", (ROOT / "README.md").read_text())


def test_readme_has_two_setup_commands():
    main, tests = readme_commands()
    assert main.startswith("python3 -m venv") and main.endswith("&& slmreact")
    assert "pip install torch==2.13.0 && " in main and "pip install torch==2.13.0 && " in tests
    assert main.index("torch==2.13.0") < main.index('".[embedded,fast]"')
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    _, tests = readme_commands()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests in ci_lines
