"""The package writer: a ``Package`` and its documents' bytes in, a TT05 zip out.

Order of work: the documents' bytes first (streamed from storage chunk by chunk,
hashed on the way and compared with the SHA-256 the archive recorded at deposit,
so a package never carries altered bytes), then each document's description, the
representation METS, the package description, the schemas, the documentation
and last the root METS, which lists the size and checksum of everything before it.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import BinaryIO

from archive.domain import tt05
from archive.domain.errors import IntegrityError
from archive.domain.packages import (
    REPRESENTATION,
    DocumentDescription,
    FileUse,
    Package,
    PackageFile,
    WrittenPackage,
    data_path,
    descriptive_path,
)
from archive.packaging import descriptive, documentation, mets
from archive.packaging.zipsink import HashingSink, add_bytes, add_stream, open_zip

Contents = Callable[[DocumentDescription], Iterator[bytes]]
"""Streams a document's stored bytes (the blob store's ``iter_bytes``)."""

SCHEMA_FILES = ("mets.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "DILCISExtensionSIPMETS.xsd")
"""The official schemas shipped in every package (local copies: nothing is fetched)."""

REP_DIR = f"representations/{REPRESENTATION}"


def schema_bytes(name: str) -> bytes:
    """A shipped schema: our TT05 XSD is generated, the others are bundled files."""
    if name == tt05.SCHEMA_FILE:
        return descriptive.schema()
    return resources.files("archive.packaging").joinpath("schemas", name).read_bytes()


def schema_location(prefix: str) -> str:
    """xsi:schemaLocation pointing at the package's own copies (``prefix`` = path to schemas/)."""
    return " ".join(
        (
            f"{mets.METS_NS} {prefix}mets.xsd",
            f"{mets.XLINK_NS} {prefix}xlink.xsd",
            f"{mets.CSIP_NS} {prefix}DILCISExtensionMETS.xsd",
            f"{mets.SIP_NS} {prefix}DILCISExtensionSIPMETS.xsd",
        )
    )


@dataclass(slots=True)
class _Build:
    """What has been written so far, and where it goes in which METS."""

    package: Package
    archive: zipfile.ZipFile
    rep_files: list[PackageFile] = field(default_factory=list)  # paths relative to rep1/
    rep_metadata: list[PackageFile] = field(default_factory=list)
    root_files: list[PackageFile] = field(default_factory=list)  # paths relative to the root
    root_metadata: list[PackageFile] = field(default_factory=list)

    def put(self, path: str, data: bytes, *, use: FileUse, mime: str = mets.XML_MIME) -> PackageFile:
        when = self.package.created
        add_bytes(self.archive, f"{self.package.folder}/{path}", data, when=when)
        return PackageFile(path, len(data), hashlib.sha256(data).hexdigest().upper(), when, mime, use)


class PackageFiles:
    """Writes TT05 / E-ARK CSIP packages as zips (the ``PackageWriter`` port)."""

    def write(self, package: Package, contents: Contents, sink: BinaryIO) -> WrittenPackage:
        """Write ``package`` to ``sink`` and describe what was written.

        Raises:
            IntegrityError: a document's bytes do not match the size or SHA-256 the
                archive recorded (nothing more is written; the sink holds a partial zip
                the caller discards).
        """
        hashing = HashingSink(sink)
        with open_zip(hashing) as archive:
            build = _Build(package, archive)
            for ordinal, document in enumerate(package.documents, start=1):
                _document(build, ordinal, document, contents)
            representation = _representation(build)
            _root_parts(build)
            root = _root_mets(build, representation)
            add_bytes(archive, f"{package.folder}/METS.xml", root, when=package.created)
        files = (*build.root_metadata, *build.root_files, representation.mets_file)
        return WrittenPackage(
            objid=package.objid,
            kind=package.kind,
            files=tuple(files) + tuple(_under_rep(f) for f in (*build.rep_metadata, *build.rep_files)),
            zip_size=hashing.size,
            zip_sha256=hashing.sha256,
            record_ids=tuple(d.record_id for d in package.documents),
        )


def _document(build: _Build, ordinal: int, document: DocumentDescription, contents: Contents) -> None:
    path = data_path(document.doc_id, document.media_type)
    when = document.deposited_at or build.package.created
    size, sha256 = add_stream(
        build.archive, f"{build.package.folder}/{path}", contents(document), size=document.size, when=when
    )
    if size != document.size or sha256 != document.sha256.lower():
        raise IntegrityError(
            f"record {document.record_id}: stored bytes no longer match their SHA-256; package not written"
        )
    relative = path.removeprefix(f"{REP_DIR}/")
    build.rep_files.append(
        PackageFile(relative, size, sha256.upper(), when, document.media_type, FileUse.DATA)
    )
    text = descriptive.render(tt05.DOCUMENT_ROOT, document)
    described = build.put(descriptive_path(ordinal), text, use=FileUse.DESCRIPTIVE)
    build.rep_metadata.append(_relative(described, REP_DIR))


def _representation(build: _Build) -> mets.Representation:
    package = build.package
    plan = mets.MetsPlan(
        objid=f"{package.objid}-{REPRESENTATION}",
        label=f"{package.label} ({REPRESENTATION})",
        oais_type=package.kind.oais_type,
        created=package.created,
        agents=(_software_agent(package),),
        metadata=list(build.rep_metadata),
        files=list(build.rep_files),
        is_representation=True,
        schema_location=schema_location("../../schemas/"),
    )
    written = build.put(f"{REP_DIR}/METS.xml", mets.build(plan), use=FileUse.REPRESENTATIONS)
    return mets.Representation(REPRESENTATION, written)


def _root_parts(build: _Build) -> None:
    package = build.package
    if package.dossier is not None:
        text = descriptive.render(tt05.DOSSIER_ROOT, package.dossier)
    else:
        text = descriptive.render(tt05.BATCH_ROOT, package.batch)
    build.root_metadata.append(build.put("metadata/descriptive/EAD.xml", text, use=FileUse.DESCRIPTIVE))
    for name in (*SCHEMA_FILES, tt05.SCHEMA_FILE):
        build.root_files.append(build.put(f"schemas/{name}", schema_bytes(name), use=FileUse.SCHEMAS))
    summary = documentation.summary(package)
    build.root_files.append(
        build.put(documentation.PATH, summary, use=FileUse.DOCUMENTATION, mime=documentation.MIME)
    )


def _root_mets(build: _Build, representation: mets.Representation) -> bytes:
    package = build.package
    plan = mets.MetsPlan(
        objid=package.objid,
        label=package.label,
        oais_type=package.kind.oais_type,
        created=package.created,
        record_status=package.record_status,
        agents=(_software_agent(package), _submitter_agent(package)),
        alt_record_ids=(("SUBMISSIONAGREEMENT", package.submission_agreement),),
        metadata=list(build.root_metadata),
        files=list(build.root_files),
        representations=[representation],
        schema_location=schema_location("schemas/"),
    )
    return mets.build(plan)


def _software_agent(package: Package) -> mets.Agent:
    return mets.Agent(
        role="CREATOR",
        type="OTHER",
        other_type="SOFTWARE",
        name=package.software.name,
        notes=((tt05.NOTE_SOFTWARE_VERSION, package.software.version),),
    )


def _submitter_agent(package: Package) -> mets.Agent:
    submitter = package.submitter
    # ARCHIVIST, not CREATOR: eark-validator applies CSIP12-16 (TYPE OTHER, SOFTWARE) to
    # every CREATOR agent, so a CREATOR organisation would fail them (README "Transfer").
    return mets.Agent(
        role="ARCHIVIST",
        type="ORGANIZATION",
        name=submitter.name,
        notes=((tt05.NOTE_IDENTIFICATION_CODE, submitter.fonds_code),),
    )


def _relative(file: PackageFile, folder: str) -> PackageFile:
    return PackageFile(
        file.path.removeprefix(f"{folder}/"), file.size, file.sha256, file.created, file.mime_type, file.use
    )


def _under_rep(file: PackageFile) -> PackageFile:
    return PackageFile(
        f"{REP_DIR}/{file.path}", file.size, file.sha256, file.created, file.mime_type, file.use
    )
