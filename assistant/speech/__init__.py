"""Everything that touches sound: sources, recognisers, wake, endpointing, the voice.

The core (nlu, exercises, dialogue, reminders, features) never imports this
package; ``cli.py`` wires it in through the Protocols of ``conversation.py``.
"""
