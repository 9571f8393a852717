"""decide: Cedar policies (cedarpy) over principal, action, resource and context.

See ``policy/default/*.cedar`` for the shipped set and how Airlock maps its records
onto Cedar; ``engine.py`` evaluates them.
"""
