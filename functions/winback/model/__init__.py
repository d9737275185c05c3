"""What winback means, with no AWS in it: the event contract, the campaign settings, the clock."""
