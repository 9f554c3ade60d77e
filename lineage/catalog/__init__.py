"""Components and their liveness, the audit trail, and the data catalog (with DCAT export).

* :mod:`.facets`: the OpenLineage facets these facts travel in;
* :mod:`.heartbeats`: heartbeat messages, validated and turned into events;
* :mod:`.liveness`: which components and instances are live, late or gone;
* :mod:`.audit`: who wrote a record, stamped on what the server accepts;
* :mod:`.registry`: catalog messages (register, update) and the catalog read back;
* :mod:`.dcat`: the catalog as DCAT in RDF Turtle.
"""
