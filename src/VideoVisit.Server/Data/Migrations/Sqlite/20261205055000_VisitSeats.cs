using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VideoVisit.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class VisitSeats : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Seats",
                table: "Visits",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SeatsVersion",
                table: "Visits",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Seats",
                table: "Visits");

            migrationBuilder.DropColumn(
                name: "SeatsVersion",
                table: "Visits");
        }
    }
}
