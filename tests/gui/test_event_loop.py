"""The app's background work is coroutines on qasync's asyncio loop: a worker thread's steps arrive in
order, batched (a fast generator does not flood the loop), a pause is reported, and cancelling the
coroutine stops the thread. Run through the loop itself, in a fresh process, as the app runs it."""
import subprocess
import sys

SCRIPT = """
import asyncio, os, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
import qasync
from pixelrnn_gui.background import Paused, StepThread
from pixelrnn_gui.event_loop import app_loop

app = QApplication([])
loop = app_loop(app)
assert isinstance(loop, qasync.QEventLoop) and not loop.is_running()

def endless():
    index = 0
    while True:
        yield index
        index += 1
        time.sleep(0.0002)

async def main():
    batches = []
    work = StepThread(iter(range(20000)))
    assert await work.run_steps(batches.append)
    steps = [s for b in batches for s in b]
    assert steps == list(range(20000)), "steps lost or out of order"
    paused = StepThread(iter(range(5)), paused=True)
    seen = []
    task = asyncio.ensure_future(paused.run_steps(seen.extend))
    await asyncio.sleep(0.2)
    assert [type(s) for s in seen] == [Paused], seen
    paused.resume()
    assert await task and seen[1:] == [0, 1, 2, 3, 4]
    forever = StepThread(endless())
    task = asyncio.ensure_future(forever.run_steps(lambda batch: None))
    await asyncio.sleep(0.3)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    forever.wait(5000)
    assert forever.isFinished(), "cancelling the coroutine must stop the thread"
    return len(batches)

print(loop.run_until_complete(main()))
"""


def test_steps_arrive_batched_in_order_and_cancel_stops_the_thread():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    batches = int(run.stdout.split()[-1])
    assert batches < 2000  # 20 000 steps in far fewer batches: at most one every 20 ms
