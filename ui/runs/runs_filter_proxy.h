#pragma once

#include <QSortFilterProxyModel>
#include <QString>

namespace lathe::ui::runs {

// Filters RunsTableModel rows by a search text (in id, name or tags, case-insensitive) and a
// status ("" for all, "live" for starting and running), and sorts by the model's kSortRole so
// that numbers and times order as numbers.
class RunsFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT

  public:
    explicit RunsFilterProxy(QObject* parent = nullptr);

    void setSearchText(const QString& text);
    void setStatusFilter(const QString& status);

  protected:
    bool filterAcceptsRow(int source_row, const QModelIndex& source_parent) const override;

  private:
    QString search_;
    QString status_;
};

}  // namespace lathe::ui::runs
