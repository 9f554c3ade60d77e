"""The catalog as DCAT (W3C Data Catalog Vocabulary) in RDF Turtle, built with rdflib.

One ``dcat:Catalog`` lists a ``dcat:Dataset`` per dataset, with ``dct:identifier``,
``dct:title``, ``dct:description``, ``dct:issued``, ``dct:modified``, a
``dcat:distribution`` whose ``dcat:mediaType`` is the source's media type,
``prov:wasGeneratedBy`` each pipeline that writes it, and, when registered,
``dct:publisher`` (``schema:name``, ``schema:email``), ``dct:rights`` and the
owner as a ``prov:qualifiedAttribution``. Other registration fields are kept
as ``lin:field`` pairs so :func:`read_catalog` returns what was registered.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, XSD

SCHEMA = Namespace("https://schema.org/")
LIN = Namespace("https://github.com/lineage-graph/lineage/ns#")
MEDIA = "http://www.iana.org/assignments/media-types/"
OWNER_ROLE = URIRef("http://standards.iso.org/iso/19115/resources/Codelist/cat/codelists.xml#CI_RoleCode/owner")
# registration fields that map onto DCAT terms (the rest are kept as lin:field)
MAPPED = ("description", "publication_datetime", "publisher_id", "publisher_name", "publisher_email", "owner_id",
          "rights_title", "rights_description", "distribution_title", "distribution_id")
STANDARD = ("id", "title", "source_mime_type", "last_updated_at", "registered_at", "generated_by")


def _slug(text: str) -> str:
    return quote(text, safe="")


def _time(value: str) -> Literal:
    return Literal(value, datatype=XSD.dateTime)


def build_graph(entries: list[dict[str, Any]], base: str = "urn:lineage:") -> Graph:
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("prov", PROV), ("schema", SCHEMA), ("lin", LIN),
                       ("xsd", XSD)):
        g.bind(prefix, ns)
    catalog = URIRef(base + "catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal("lineage data catalog")))
    for entry in entries:
        ident = entry["id"]
        ds = URIRef(f"{base}dataset/{_slug(ident)}")
        g.add((catalog, DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(ident)))
        g.add((ds, DCTERMS.title, Literal(entry.get("title") or ident)))
        if entry.get("description"):
            g.add((ds, DCTERMS.description, Literal(entry["description"])))
        issued = entry.get("publication_datetime") or entry.get("registered_at")
        if issued:
            g.add((ds, DCTERMS.issued, _time(issued)))
        if entry.get("last_updated_at"):
            g.add((ds, DCTERMS.modified, _time(entry["last_updated_at"])))
        for pipeline in entry.get("generated_by", []):
            g.add((ds, PROV.wasGeneratedBy, URIRef(f"{base}pipeline/{_slug(pipeline)}")))
        dist = URIRef(f"{base}distribution/{_slug(entry.get('distribution_id') or ident)}")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        if entry.get("distribution_id"):
            g.add((dist, DCTERMS.identifier, Literal(entry["distribution_id"])))
        if entry.get("distribution_title"):
            g.add((dist, DCTERMS.title, Literal(entry["distribution_title"])))
        if entry.get("source_mime_type"):
            g.add((dist, DCAT.mediaType, URIRef(MEDIA + entry["source_mime_type"])))
        if entry.get("publisher_id") or entry.get("publisher_name"):
            pub = URIRef(f"{base}agent/{_slug(entry.get('publisher_id') or entry['publisher_name'])}")
            g.add((ds, DCTERMS.publisher, pub))
            if entry.get("publisher_id"):
                g.add((pub, DCTERMS.identifier, Literal(entry["publisher_id"])))
            if entry.get("publisher_name"):
                g.add((pub, SCHEMA.name, Literal(entry["publisher_name"])))
            if entry.get("publisher_email"):
                g.add((pub, SCHEMA.email, Literal(entry["publisher_email"])))
        if entry.get("rights_title") or entry.get("rights_description"):
            rights = BNode()
            g.add((ds, DCTERMS.rights, rights))
            if entry.get("rights_title"):
                g.add((rights, DCTERMS.title, Literal(entry["rights_title"])))
            if entry.get("rights_description"):
                g.add((rights, DCTERMS.description, Literal(entry["rights_description"])))
        if entry.get("owner_id"):
            attribution = BNode()
            g.add((ds, PROV.qualifiedAttribution, attribution))
            g.add((attribution, RDF.type, PROV.Attribution))
            g.add((attribution, DCAT.hadRole, OWNER_ROLE))
            g.add((attribution, PROV.agent, Literal(entry["owner_id"])))
        for key, value in entry.items():
            if key in STANDARD or key in MAPPED or key in ("layer", "namespace", "name"):
                continue
            pair = BNode()
            g.add((ds, LIN.field, pair))
            g.add((pair, LIN.key, Literal(key)))
            g.add((pair, LIN.value, Literal(json.dumps(value, sort_keys=True))))
    return g


def to_turtle(entries: list[dict[str, Any]], base: str = "urn:lineage:") -> str:
    return build_graph(entries, base).serialize(format="turtle")


def read_catalog(turtle: str) -> list[dict[str, Any]]:
    """Catalog entries read back from DCAT Turtle (what :func:`to_turtle` wrote)."""
    g = Graph()
    g.parse(data=turtle, format="turtle")

    def one(subject: Any, predicate: Any) -> Any:
        return next(iter(g.objects(subject, predicate)), None)

    out = []
    for ds in g.subjects(RDF.type, DCAT.Dataset):
        entry: dict[str, Any] = {"id": str(one(ds, DCTERMS.identifier)), "title": str(one(ds, DCTERMS.title))}
        for key, pred in (("description", DCTERMS.description), ("last_updated_at", DCTERMS.modified),
                          ("publication_datetime", DCTERMS.issued)):
            if one(ds, pred) is not None:
                entry[key] = str(one(ds, pred))
        dist = one(ds, DCAT.distribution)
        media = one(dist, DCAT.mediaType)
        if media is not None:
            entry["source_mime_type"] = str(media)[len(MEDIA):]
        for key, pred in (("distribution_id", DCTERMS.identifier), ("distribution_title", DCTERMS.title)):
            if one(dist, pred) is not None:
                entry[key] = str(one(dist, pred))
        entry["generated_by"] = sorted(unquote(str(p).rsplit("pipeline/", 1)[-1]) for p in g.objects(ds, PROV.wasGeneratedBy))
        pub = one(ds, DCTERMS.publisher)
        if pub is not None:
            for key, pred in (("publisher_id", DCTERMS.identifier), ("publisher_name", SCHEMA.name),
                              ("publisher_email", SCHEMA.email)):
                if one(pub, pred) is not None:
                    entry[key] = str(one(pub, pred))
        rights = one(ds, DCTERMS.rights)
        if rights is not None:
            for key, pred in (("rights_title", DCTERMS.title), ("rights_description", DCTERMS.description)):
                if one(rights, pred) is not None:
                    entry[key] = str(one(rights, pred))
        attribution = one(ds, PROV.qualifiedAttribution)
        if attribution is not None:
            entry["owner_id"] = str(one(attribution, PROV.agent))
        for pair in g.objects(ds, LIN.field):
            entry[str(one(pair, LIN.key))] = json.loads(str(one(pair, LIN.value)))
        out.append(entry)
    return sorted(out, key=lambda e: e["id"])
