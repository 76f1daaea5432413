"""Long-term memory for Premium and VIP users (docs/MEMORY.md). The interface is in service.py."""
