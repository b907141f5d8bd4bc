CREATE TABLE IF NOT EXISTS "AppointmentPatients" (
    "AppointmentId" TEXT NOT NULL,
    "PatientId" TEXT NOT NULL,
    "StartTicks" INTEGER NOT NULL,
    "EndTicks" INTEGER NOT NULL,
    CONSTRAINT "PK_AppointmentPatients" PRIMARY KEY ("AppointmentId", "PatientId")
);
CREATE TABLE IF NOT EXISTS "Appointments" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Appointments" PRIMARY KEY,
    "Start" TEXT NOT NULL,
    "End" TEXT NOT NULL,
    "StartTicks" INTEGER NOT NULL,
    "EndTicks" INTEGER NOT NULL,
    "Status" TEXT NOT NULL,
    "Kind" TEXT NOT NULL,
    "UnitId" TEXT NOT NULL,
    "ProfessionalId" TEXT NOT NULL,
    "PatientIds" TEXT NOT NULL,
    "Capacity" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS "Chat" (
    "MessageId" TEXT NOT NULL CONSTRAINT "PK_Chat" PRIMARY KEY,
    "VisitId" TEXT NOT NULL,
    "ClientMessageId" TEXT NOT NULL,
    "SenderPersonId" TEXT NOT NULL,
    "FromParticipantId" TEXT NOT NULL,
    "FromDisplayName" TEXT NOT NULL,
    "Text" TEXT NOT NULL,
    "SentAt" TEXT NOT NULL,
    "SentAtTicks" INTEGER NOT NULL,
    "Audience" TEXT NOT NULL,
    "Readers" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "FhirAudit" (
    "ResourceType" TEXT NOT NULL,
    "ResourceId" TEXT NOT NULL,
    "VersionId" INTEGER NOT NULL,
    "AtTicks" INTEGER NOT NULL,
    "ClientId" TEXT NOT NULL,
    "Interaction" TEXT NOT NULL,
    CONSTRAINT "PK_FhirAudit" PRIMARY KEY ("ResourceType", "ResourceId", "VersionId")
);
CREATE TABLE IF NOT EXISTS "FhirResources" (
    "ResourceType" TEXT NOT NULL,
    "Id" TEXT NOT NULL,
    "VersionId" INTEGER NOT NULL,
    "LastUpdated" TEXT NOT NULL,
    "Json" TEXT NOT NULL,
    CONSTRAINT "PK_FhirResources" PRIMARY KEY ("ResourceType", "Id")
);
CREATE TABLE IF NOT EXISTS "People" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_People" PRIMARY KEY,
    "Kind" TEXT NOT NULL,
    "DisplayName" TEXT NOT NULL,
    "UnitId" TEXT NULL,
    "BirthDate" TEXT NULL,
    "NonDisclosureHolderId" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "PersonIdentifiers" (
    "System" TEXT NOT NULL,
    "Value" TEXT NOT NULL,
    "PersonId" TEXT NOT NULL,
    CONSTRAINT "PK_PersonIdentifiers" PRIMARY KEY ("System", "Value")
);
CREATE TABLE IF NOT EXISTS "PractitionerRoles" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_PractitionerRoles" PRIMARY KEY,
    "PractitionerId" TEXT NOT NULL,
    "OrganizationId" TEXT NOT NULL,
    "Active" INTEGER NOT NULL,
    "UpdatedTicks" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS "Prechecks" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_Prechecks" PRIMARY KEY AUTOINCREMENT,
    "VisitId" TEXT NOT NULL,
    "ParticipantId" TEXT NOT NULL,
    "PersonId" TEXT NOT NULL,
    "State" TEXT NOT NULL,
    "Summary" TEXT NOT NULL,
    "ReportJson" TEXT NOT NULL,
    "ReportedAt" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "Representations" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_Representations" PRIMARY KEY AUTOINCREMENT,
    "RepresentativeId" TEXT NOT NULL,
    "PersonId" TEXT NOT NULL,
    "Scope" TEXT NOT NULL,
    "ValidFrom" TEXT NULL,
    "ValidUntil" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "Units" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Units" PRIMARY KEY,
    "Name" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "VisitEvents" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_VisitEvents" PRIMARY KEY AUTOINCREMENT,
    "VisitId" TEXT NOT NULL,
    "At" TEXT NOT NULL,
    "Kind" TEXT NOT NULL,
    "ActorId" TEXT NULL,
    "OnBehalfOfId" TEXT NULL,
    "ParticipantId" TEXT NULL,
    "TargetParticipantId" TEXT NULL,
    "TargetPersonId" TEXT NULL,
    "Detail" TEXT NULL
);
CREATE TABLE IF NOT EXISTS "Visits" (
    "VisitId" TEXT NOT NULL CONSTRAINT "PK_Visits" PRIMARY KEY,
    "AppointmentId" TEXT NOT NULL,
    "AppointmentStartTicks" INTEGER NOT NULL,
    "Status" TEXT NOT NULL,
    "UpdatedAt" TEXT NOT NULL
);
CREATE INDEX "IX_AppointmentPatients_PatientId_StartTicks" ON "AppointmentPatients" ("PatientId", "StartTicks");
CREATE INDEX "IX_Appointments_ProfessionalId_StartTicks" ON "Appointments" ("ProfessionalId", "StartTicks");
CREATE INDEX "IX_Appointments_StartTicks" ON "Appointments" ("StartTicks");
CREATE INDEX "IX_Appointments_UnitId_StartTicks" ON "Appointments" ("UnitId", "StartTicks");
CREATE UNIQUE INDEX "IX_Chat_VisitId_SenderPersonId_ClientMessageId" ON "Chat" ("VisitId", "SenderPersonId", "ClientMessageId");
CREATE INDEX "IX_People_UnitId" ON "People" ("UnitId");
CREATE INDEX "IX_PersonIdentifiers_PersonId" ON "PersonIdentifiers" ("PersonId");
CREATE INDEX "IX_PractitionerRoles_PractitionerId" ON "PractitionerRoles" ("PractitionerId");
CREATE INDEX "IX_Prechecks_VisitId" ON "Prechecks" ("VisitId");
CREATE INDEX "IX_Representations_PersonId" ON "Representations" ("PersonId");
CREATE UNIQUE INDEX "IX_Representations_RepresentativeId_PersonId" ON "Representations" ("RepresentativeId", "PersonId");
CREATE INDEX "IX_VisitEvents_VisitId" ON "VisitEvents" ("VisitId");
CREATE UNIQUE INDEX "IX_Visits_AppointmentId_AppointmentStartTicks" ON "Visits" ("AppointmentId", "AppointmentStartTicks");
