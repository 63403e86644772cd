"""Transfer and preservation packages (Circular 05/2025/TT-BNV, E-ARK CSIP 2.0.4), with lxml.

The adapter behind the ``PackageWriter`` port: ``PackageFiles.write`` streams a
``Package`` to a zip. ``mets`` builds any CSIP METS (the AIP and DIP writers reuse it),
``descriptive`` the TT05 descriptive files and their XSD, ``zipsink`` the streamed zip.
Guarantees: the documents' bytes are copied unchanged and checked against their
recorded SHA-256; every METS and descriptive file validates against the schemas the
package ships in ``schemas/`` (see ``validation``).
"""

from archive.packaging.writer import PackageFiles

__all__ = ["PackageFiles"]
