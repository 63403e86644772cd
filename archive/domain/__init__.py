"""The domain: records, access rules, search requests and the ports.

Nothing here imports a framework (no strawberry, starlette, sqlmodel, minio or
elasticsearch). Adapters translate to and from these types at the edge.
"""
