using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace VideoVisit.Server.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AppointmentPatients",
                columns: table => new
                {
                    AppointmentId = table.Column<string>(type: "text", nullable: false),
                    PatientId = table.Column<string>(type: "text", nullable: false),
                    StartTicks = table.Column<long>(type: "bigint", nullable: false),
                    EndTicks = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AppointmentPatients", x => new { x.AppointmentId, x.PatientId });
                });

            migrationBuilder.CreateTable(
                name: "Appointments",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    Start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    End = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    StartTicks = table.Column<long>(type: "bigint", nullable: false),
                    EndTicks = table.Column<long>(type: "bigint", nullable: false),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Kind = table.Column<string>(type: "text", nullable: false),
                    UnitId = table.Column<string>(type: "text", nullable: false),
                    ProfessionalId = table.Column<string>(type: "text", nullable: false),
                    PatientIds = table.Column<string>(type: "text", nullable: false),
                    Capacity = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Appointments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Chat",
                columns: table => new
                {
                    MessageId = table.Column<string>(type: "text", nullable: false),
                    VisitId = table.Column<string>(type: "text", nullable: false),
                    ClientMessageId = table.Column<string>(type: "text", nullable: false),
                    SenderPersonId = table.Column<string>(type: "text", nullable: false),
                    FromParticipantId = table.Column<string>(type: "text", nullable: false),
                    FromDisplayName = table.Column<string>(type: "text", nullable: false),
                    Text = table.Column<string>(type: "text", nullable: false),
                    SentAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    SentAtTicks = table.Column<long>(type: "bigint", nullable: false),
                    Audience = table.Column<string>(type: "text", nullable: false),
                    Readers = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Chat", x => x.MessageId);
                });

            migrationBuilder.CreateTable(
                name: "FhirAudit",
                columns: table => new
                {
                    ResourceType = table.Column<string>(type: "text", nullable: false),
                    ResourceId = table.Column<string>(type: "text", nullable: false),
                    VersionId = table.Column<int>(type: "integer", nullable: false),
                    AtTicks = table.Column<long>(type: "bigint", nullable: false),
                    ClientId = table.Column<string>(type: "text", nullable: false),
                    Interaction = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FhirAudit", x => new { x.ResourceType, x.ResourceId, x.VersionId });
                });

            migrationBuilder.CreateTable(
                name: "FhirResources",
                columns: table => new
                {
                    ResourceType = table.Column<string>(type: "text", nullable: false),
                    Id = table.Column<string>(type: "text", nullable: false),
                    VersionId = table.Column<int>(type: "integer", nullable: false),
                    LastUpdated = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Json = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FhirResources", x => new { x.ResourceType, x.Id });
                });

            migrationBuilder.CreateTable(
                name: "People",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    Kind = table.Column<string>(type: "text", nullable: false),
                    DisplayName = table.Column<string>(type: "text", nullable: false),
                    UnitId = table.Column<string>(type: "text", nullable: true),
                    BirthDate = table.Column<DateOnly>(type: "date", nullable: true),
                    NonDisclosureHolderId = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_People", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PersonIdentifiers",
                columns: table => new
                {
                    System = table.Column<string>(type: "text", nullable: false),
                    Value = table.Column<string>(type: "text", nullable: false),
                    PersonId = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PersonIdentifiers", x => new { x.System, x.Value });
                });

            migrationBuilder.CreateTable(
                name: "PractitionerRoles",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    PractitionerId = table.Column<string>(type: "text", nullable: false),
                    OrganizationId = table.Column<string>(type: "text", nullable: false),
                    Active = table.Column<bool>(type: "boolean", nullable: false),
                    UpdatedTicks = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PractitionerRoles", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Prechecks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    VisitId = table.Column<string>(type: "text", nullable: false),
                    ParticipantId = table.Column<string>(type: "text", nullable: false),
                    PersonId = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<string>(type: "text", nullable: false),
                    Summary = table.Column<string>(type: "text", nullable: false),
                    ReportJson = table.Column<string>(type: "text", nullable: false),
                    ReportedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Prechecks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Representations",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RepresentativeId = table.Column<string>(type: "text", nullable: false),
                    PersonId = table.Column<string>(type: "text", nullable: false),
                    Scope = table.Column<string>(type: "text", nullable: false),
                    ValidFrom = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ValidUntil = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Representations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Units",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    Name = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Units", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "VisitEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    VisitId = table.Column<string>(type: "text", nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Kind = table.Column<string>(type: "text", nullable: false),
                    ActorId = table.Column<string>(type: "text", nullable: true),
                    OnBehalfOfId = table.Column<string>(type: "text", nullable: true),
                    ParticipantId = table.Column<string>(type: "text", nullable: true),
                    TargetParticipantId = table.Column<string>(type: "text", nullable: true),
                    TargetPersonId = table.Column<string>(type: "text", nullable: true),
                    Detail = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_VisitEvents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Visits",
                columns: table => new
                {
                    VisitId = table.Column<string>(type: "text", nullable: false),
                    AppointmentId = table.Column<string>(type: "text", nullable: false),
                    AppointmentStartTicks = table.Column<long>(type: "bigint", nullable: false),
                    Status = table.Column<string>(type: "text", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Visits", x => x.VisitId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AppointmentPatients_PatientId_StartTicks",
                table: "AppointmentPatients",
                columns: new[] { "PatientId", "StartTicks" });

            migrationBuilder.CreateIndex(
                name: "IX_Appointments_ProfessionalId_StartTicks",
                table: "Appointments",
                columns: new[] { "ProfessionalId", "StartTicks" });

            migrationBuilder.CreateIndex(
                name: "IX_Appointments_StartTicks",
                table: "Appointments",
                column: "StartTicks");

            migrationBuilder.CreateIndex(
                name: "IX_Appointments_UnitId_StartTicks",
                table: "Appointments",
                columns: new[] { "UnitId", "StartTicks" });

            migrationBuilder.CreateIndex(
                name: "IX_Chat_VisitId_SenderPersonId_ClientMessageId",
                table: "Chat",
                columns: new[] { "VisitId", "SenderPersonId", "ClientMessageId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_People_UnitId",
                table: "People",
                column: "UnitId");

            migrationBuilder.CreateIndex(
                name: "IX_PersonIdentifiers_PersonId",
                table: "PersonIdentifiers",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_PractitionerRoles_PractitionerId",
                table: "PractitionerRoles",
                column: "PractitionerId");

            migrationBuilder.CreateIndex(
                name: "IX_Prechecks_VisitId",
                table: "Prechecks",
                column: "VisitId");

            migrationBuilder.CreateIndex(
                name: "IX_Representations_PersonId",
                table: "Representations",
                column: "PersonId");

            migrationBuilder.CreateIndex(
                name: "IX_Representations_RepresentativeId_PersonId",
                table: "Representations",
                columns: new[] { "RepresentativeId", "PersonId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_VisitEvents_VisitId",
                table: "VisitEvents",
                column: "VisitId");

            migrationBuilder.CreateIndex(
                name: "IX_Visits_AppointmentId_AppointmentStartTicks",
                table: "Visits",
                columns: new[] { "AppointmentId", "AppointmentStartTicks" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AppointmentPatients");

            migrationBuilder.DropTable(
                name: "Appointments");

            migrationBuilder.DropTable(
                name: "Chat");

            migrationBuilder.DropTable(
                name: "FhirAudit");

            migrationBuilder.DropTable(
                name: "FhirResources");

            migrationBuilder.DropTable(
                name: "People");

            migrationBuilder.DropTable(
                name: "PersonIdentifiers");

            migrationBuilder.DropTable(
                name: "PractitionerRoles");

            migrationBuilder.DropTable(
                name: "Prechecks");

            migrationBuilder.DropTable(
                name: "Representations");

            migrationBuilder.DropTable(
                name: "Units");

            migrationBuilder.DropTable(
                name: "VisitEvents");

            migrationBuilder.DropTable(
                name: "Visits");
        }
    }
}
