"""The run itself: parallel workers, the lock, staging and atomic writes, progress."""
