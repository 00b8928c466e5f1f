#include "ui/run_form/training_arguments_form.h"

#include <vector>

#include <QFormLayout>
#include <QScrollArea>
#include <QVBoxLayout>

#include "core/training_args/parse.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"
#include "ui/run_form/field_names_in_message.h"

namespace lathe::ui::run_form {

namespace {

namespace ta = core::training_args;

QString group_title(const std::string& group) {
    if (group == "evaluation_and_saving")
        return "Evaluation && saving";  // && is a literal & in a tab title
    auto title = QString::fromStdString(group);
    title[0] = title[0].toUpper();
    return title;
}

}  // namespace

TrainingArgumentsForm::TrainingArgumentsForm(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    tabs_ = new QTabWidget(this);
    summary_ = new QLabel(this);
    summary_->setObjectName("summary_error");
    summary_->setWordWrap(true);
    summary_->setStyleSheet("color: #c0392b;");
    summary_->setVisible(false);
    layout->addWidget(tabs_);
    layout->addWidget(summary_);

    std::map<std::string, QFormLayout*> forms;
    for (const auto& spec : ta::schema()) {
        if (!spec.supported)
            continue;
        auto& form = forms[spec.group];
        if (!form) {
            auto* page = new QWidget;
            form = new QFormLayout(page);
            auto* scroll = new QScrollArea;
            scroll->setWidgetResizable(true);
            scroll->setWidget(page);
            tab_of_group_[spec.group] = tabs_->addTab(scroll, group_title(spec.group));
        }
        auto* label = new QLabel(QString::fromStdString(spec.name));
        label->setToolTip(QString::fromStdString(spec.help));
        auto* editor = make_field_editor(spec).release();  // owned by the layout's widget
        form->addRow(label, editor);
        editors_[spec.name] = editor;
        labels_[spec.name] = label;
        connect(editor, &FieldEditor::edited, this, [this] {
            if (!applying_)
                revalidate();
        });
    }
    revalidate();
}

FieldEditor* TrainingArgumentsForm::editor(const std::string& field) const {
    auto it = editors_.find(field);
    return it == editors_.end() ? nullptr : it->second;
}

nlohmann::json TrainingArgumentsForm::values() const {
    auto values = nlohmann::json::object();
    for (const auto& [name, editor] : editors_) {
        nlohmann::json value;
        QString problem;
        if (editor->read(value, problem) && value != editor->spec().default_value)
            values[name] = value;
    }
    return values;
}

void TrainingArgumentsForm::set_values(const nlohmann::json& values) {
    applying_ = true;
    for (const auto& [name, editor] : editors_) {
        auto it = values.is_object() ? values.find(name) : values.end();
        editor->write(it != values.end() ? *it : editor->spec().default_value);
    }
    applying_ = false;
    revalidate();
}

void TrainingArgumentsForm::revalidate() {
    QString message;
    std::vector<std::string> named;
    auto values = nlohmann::json::object();
    for (const auto& [name, editor] : editors_) {
        nlohmann::json value;
        QString problem;
        if (!editor->read(value, problem)) {
            if (message.isEmpty()) {
                message = problem;
                named = {name};
            }
        } else if (value != editor->spec().default_value) {
            values[name] = value;
        }
        auto font = labels_[name]->font();
        font.setBold(editor->is_default() == false);
        labels_[name]->setFont(font);
        labels_[name]->setText(QString::fromStdString(name) + (editor->is_default() ? "" : " *"));
    }
    if (message.isEmpty()) {
        try {
            ta::validate(ta::from_json(values, "training_args").args);
        } catch (const core::Error& e) {
            message = QString::fromStdString(e.what());
            std::vector<std::string> names;
            for (const auto& [name, editor] : editors_)
                names.push_back(name);
            named = field_names_in_message(e.what(), names);
        }
    }

    for (const auto& [name, editor] : editors_) {
        bool is_named = false;
        for (const auto& n : named)
            is_named = is_named || n == name;
        editor->set_error(is_named ? message : QString());
    }
    for (const auto& [group, index] : tab_of_group_) {
        bool has_error = false;
        for (const auto& n : named)
            has_error = has_error || editors_[n]->spec().group == group;
        tabs_->setTabText(index, group_title(group) + (has_error ? " (!)" : ""));
    }
    summary_->setText(message);
    summary_->setVisible(!message.isEmpty() && named.empty());

    // State first, then signals: listeners (the dialog) read is_valid() from valuesChanged.
    error_ = message;
    const bool was_valid = valid_;
    valid_ = message.isEmpty();
    emit valuesChanged();
    if (valid_ != was_valid)
        emit validityChanged(valid_);
}

}  // namespace lathe::ui::run_form
