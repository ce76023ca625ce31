"""The picoos kernel: tasks, scheduler, timers, notifier, messages, locks,
channels.  Import names from `picoos` (or the submodules); this package
only groups the modules."""
