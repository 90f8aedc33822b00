"""ecservice: typed domain objects and state machines for e-commerce service workflows."""
