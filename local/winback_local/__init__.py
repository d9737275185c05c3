"""The developer's side of winback, never deployed: the `winback` command, the local
runtime (moto + the real ASL and handlers on a virtual clock), the simulator, previews
and the fault injector. It depends on the `winback` package; nothing there imports it."""
