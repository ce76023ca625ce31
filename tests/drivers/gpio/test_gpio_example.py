"""examples/button_led.py runs end to end with the fake backend."""
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "button_led.py"


def run_example(*args):
    return subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True, text=True,
                          timeout=120, cwd=str(EXAMPLE.parents[1]))


def test_button_led_with_fake_backend():
    out = run_example("--fake", "--presses", "2", "--interval", "0.01")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("waiting for GPIO17 on /dev/fake-gpiochip0")
    assert [ln.split(" at ")[0] for ln in lines[1:5]] == [
        "GPIO17 pressed", "GPIO17 released", "GPIO17 pressed", "GPIO17 released"]
    assert lines[5] == "2 press(es) seen"
    assert lines[6] == "LED history on the wire: [0, 1, 0, 1, 0]"


def test_button_led_reports_a_missing_line_clearly():
    out = run_example("--fake", "--led", "GPIO99", "--presses", "1", "--interval", "0.01")
    assert out.returncode == 1
    assert "has no line named 'GPIO99'" in out.stderr


def test_button_led_rejects_bad_arguments():
    out = run_example("--fake", "--presses", "0")
    assert out.returncode == 2 and "--presses must be at least 1" in out.stderr
