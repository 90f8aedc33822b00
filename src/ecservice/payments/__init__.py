"""Payments: e-wallets, e-cash, stored-value purses."""

__all__: list[str] = []
