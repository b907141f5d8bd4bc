using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VideoVisit.Server.Data.Migrations.PostgreSql
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
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SeatsVersion",
                table: "Visits",
                type: "bigint",
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
