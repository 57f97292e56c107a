import pickle
import threading
import time
import uuid

from app.ids import time_ordered_uuid


def test_time_ordered_uuids_are_version_7_and_sort_by_their_millisecond() -> None:
    first = time_ordered_uuid()
    time.sleep(0.002)
    second = time_ordered_uuid()
    assert (first.version, first.variant) == (7, uuid.RFC_4122)
    assert first.hex < second.hex and first < second  # SQLite stores the hex, PostgreSQL compares bytes
    assert abs((first.int >> 80) - time.time_ns() // 1_000_000) < 5_000
    assert len({time_ordered_uuid() for _ in range(10_000)}) == 10_000


def test_they_are_ordinary_uuids() -> None:
    made = time_ordered_uuid()
    same = uuid.UUID(int=made.int)
    assert made == same and hash(made) == hash(same) and str(made) == str(same)
    assert uuid.UUID(str(made)) == made and made.bytes == same.bytes
    assert pickle.loads(pickle.dumps(made)) == made
    assert made.is_safe is uuid.SafeUUID.unknown


def test_threads_draw_from_their_own_pools_without_repeats() -> None:
    made: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def draw(into: list[uuid.UUID]) -> None:
        into.extend(time_ordered_uuid() for _ in range(5_000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [value for into in made for value in into]
    assert len(set(everything)) == len(everything) == 20_000
    assert all(value.version == 7 for value in everything)


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    import multiprocessing

    time_ordered_uuid()  # the parent's pool now holds unused values
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        theirs = pool.apply(_draw_many)
    ours = _draw_many()
    assert not set(theirs) & set(ours)


def _draw_many() -> list[int]:
    """The random parts (the timestamps differ anyway, unless both draw in the same millisecond)."""
    return [time_ordered_uuid().int & ((1 << 80) - 1) for _ in range(300)]
